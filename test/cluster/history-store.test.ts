import { historyStoreContract, startNode } from './contract.js';
import { hostNode } from './host-nodes.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

historyStoreContract('LocalCluster', localNode);
historyStoreContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
historyStoreContract('HostCluster', hostNode);
