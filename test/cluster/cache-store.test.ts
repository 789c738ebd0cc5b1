import { cacheStoreContract, startNode } from './contract.js';
import { hostNode } from './host-nodes.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

cacheStoreContract('LocalCluster', localNode);
cacheStoreContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
cacheStoreContract('HostCluster', hostNode);
