import pino, { type Logger } from 'pino';

/** How log lines carry their time: `epoch` (pino's `time` in ms, the default) or `iso` (ISO 8601, UTC). */
export type LogTimestamps = 'epoch' | 'iso';

/**
 * The one logger. JSON lines by default; pretty output when stdout is a terminal. Messages are
 * constant strings with the data in fields, and secrets are redacted wherever they appear.
 */
export function createLogger(level: string, pretty: boolean = process.stdout.isTTY === true, timestamps: LogTimestamps = 'epoch'): Logger {
  return pino(loggerOptions(level, pretty, timestamps));
}

/** pino's options for `createLogger`, apart so tests can aim the same logger at a stream. */
export function loggerOptions(level: string, pretty: boolean, timestamps: LogTimestamps): pino.LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    redact: { paths: ['secret', '*.secret', 'apps[*].secret', 'config.apps[*].secret', 'auth', '*.auth', 'token', '*.token'], censor: '[redacted]' },
    ...(timestamps === 'iso' ? { timestamp: pino.stdTimeFunctions.isoTime } : {}),
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: timestamps === 'iso' ? 'UTC:yyyy-mm-dd\'T\'HH:MM:ss.l\'Z\'' : 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  };
}
