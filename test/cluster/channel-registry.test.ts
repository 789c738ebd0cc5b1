import { channelRegistryContract, startNode } from './contract.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

channelRegistryContract('LocalCluster', localNode);
channelRegistryContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
