import { historyStoreContract, startNode } from './contract.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

historyStoreContract('LocalCluster', localNode);
historyStoreContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
