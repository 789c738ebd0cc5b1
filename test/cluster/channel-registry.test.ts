import { channelRegistryContract, startNode } from './contract.js';
import { hostNode } from './host-nodes.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

channelRegistryContract('LocalCluster', localNode);
channelRegistryContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
channelRegistryContract('HostCluster', hostNode);
