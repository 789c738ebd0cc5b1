// The package's programmatic API (`import … from 'switchboard'`): start and stop a gateway from code,
// and the domain lookup library (also at 'switchboard/lookup').

export { startGateway, type SwitchboardConfig, type StartOptions, type RunningGateway, type RunningAdmin } from './start-gateway.js';
export { Gateway, type GatewayOptions } from './gateway.js';
export { loadConfig, ConfigSchema, AppConfigSchema, DEV_APP, type Config, type AppConfig, type ConfigSources, type LoadedConfig } from './ops/config.js';
export { createLogger } from './ops/logger.js';
export { Errors, GatewayError, isGatewayError, type ErrorKind, type ErrorId } from './protocol/errors.js';
export { VERSION } from './version.js';

/** Parallel domain availability over DNS, RDAP and WHOIS: `lookup.checkDomains(['example.com'])`. */
export * as lookup from './lookup/index.js';
export { checkDomains, type CheckOptions, type DomainResult } from './lookup/index.js';
