// Public surface of the lookup module: parallel domain availability over DNS, RDAP and WHOIS.
export { checkDomains, LookupBatch, type CheckOptions, type Keyed } from './check-domains.js';
export { normalizeDomain, type Normalized } from './normalize.js';
export { Scheduler, BackoffError, type SchedulerOptions, type RunOptions } from './scheduler.js';
export { shippedData, buildServerMap, type RdapBootstrap, type WhoisTable } from './data.js';
export { WHOIS_PROFILES, RATE_LIMIT_PATTERNS, classifyWhois } from './whois-patterns.js';
export { publishEvent, signRequest, type PublishTarget } from './publish.js';
export { runLookupCli, type CliIo } from './cli.js';
export * from './types.js';
