import { presenceStoreContract, startNode } from './contract.js';
import { hostNode } from './host-nodes.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

presenceStoreContract('LocalCluster', localNode);
presenceStoreContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
presenceStoreContract('HostCluster', hostNode);
