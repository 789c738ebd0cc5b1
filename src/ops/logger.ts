import pino, { type Logger } from 'pino';

/**
 * The one logger. JSON lines by default; pretty output when stdout is a terminal. Messages are
 * constant strings with the data in fields, and secrets are redacted wherever they appear.
 */
export function createLogger(level: string, pretty: boolean = process.stdout.isTTY === true): Logger {
  return pino({
    level,
    base: { pid: process.pid },
    redact: { paths: ['secret', '*.secret', 'apps[*].secret', 'config.apps[*].secret', 'auth', '*.auth', 'token', '*.token'], censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } } : {}),
  });
}
