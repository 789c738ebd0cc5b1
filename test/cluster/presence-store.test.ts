import { presenceStoreContract, startNode } from './contract.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

presenceStoreContract('LocalCluster', localNode);
presenceStoreContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
