// One root logger per process; components take cheap children of it.
import pino, { type Logger } from 'pino';

export function rootLogger(component: string, level = process.env.SKIFF_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component, pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

export type { Logger };
