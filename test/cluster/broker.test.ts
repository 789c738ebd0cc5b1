import { brokerContract, startNode } from './contract.js';
import { hostNode } from './host-nodes.js';
import { freshPrefix, localNode, redisCluster, useTestRedis } from './nodes.js';

const redis = useTestRedis();

brokerContract('LocalCluster', localNode);
brokerContract('RedisCluster', () => startNode(redisCluster(redis(), freshPrefix())));
brokerContract('HostCluster', hostNode);
