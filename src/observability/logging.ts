// logging.ts: hl's log records through pino, filtered by a RUST_LOG-style
// directive string (log-filter.ts). Host records use targets
// `hyperlight_host::<module>`, guest records `hyperlight_guest`. pino (and
// pino-pretty) are loaded only when a record is actually written.
import type { Logger, LoggerOptions } from 'pino';
import { Level, type LevelValue, LogFilter, type SpanRef, levelName } from './log-filter';
import { escapeBeyondJson, escapeControl } from '../inert-text';

export type LogFormat = 'pretty' | 'json';

export interface LoggingConfig {
  /** An embedder's pino logger: hl logs through a child of it. Default: hl's own, on stderr. */
  logger?: Logger;
  /** Directives; default: HL_LOG, else RUST_LOG, else "error". */
  filter?: string;
  /** hl's own logger: pretty (default) or one JSON object per line. */
  format?: LogFormat;
}

export const GUEST_TARGET = 'hyperlight_guest';
export const HOST_TARGET = 'hyperlight_host';

let config: LoggingConfig | false = {};
let filter: LogFilter | undefined;
let version = 0;
let sink: Logger | undefined;

/** Sets how hl logs; `false` turns hl's logging off. Takes effect on the next record (and the next guest call). */
export function configureLogging(c: LoggingConfig | false): void {
  config = c;
  filter = undefined;
  sink = undefined;
  version++;
}

/** Bumped whenever the configuration changes, so sandboxes re-read the guest level. */
export function loggingVersion(): number {
  return version;
}

export function currentFilter(): LogFilter {
  if (filter) return filter;
  if (config === false) return (filter = new LogFilter('off'));
  const source = config.filter ?? envFilter() ?? '';
  filter = new LogFilter(source);
  for (const bad of filter.invalid) process.stderr.write(`hl: warning: ignoring invalid log directive "${bad}"\n`);
  return filter;
}

/** HL_LOG, else RUST_LOG; an empty variable counts as unset. */
export function envFilter(): string | undefined {
  return process.env.HL_LOG || process.env.RUST_LOG || undefined;
}

/** Hyperlight's guest level (0 trace .. 5 critical, 6 off) below which guest records need not leave the VM. */
export function guestMinLevel(): number {
  const max = currentFilter().maxLevelFor(GUEST_TARGET);
  return max === Level.off ? 6 : 5 - max; // trace(5) -> 0, debug -> 1, info -> 2, warn -> 3, error -> 4
}

const PINO_LEVEL = ['silent', 'error', 'warn', 'info', 'debug', 'trace'] as const;

function output(): Logger {
  sink ??= makeSink();
  return sink;
}

function makeSink(): Logger {
  const c = config === false ? {} : config;
  if (c.logger) return c.logger.child({});
  const P = require('pino') as typeof import('pino');
  const pino = P.pino;
  const options: LoggerOptions = {
    level: 'trace',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  const out = P.destination({ dest: 2, sync: true });
  // Each line is made inert last: JSON escapes C0 controls in values but leaves
  // DEL, C1 (U+009B is CSI), U+2028/9 and bidi controls raw; as \uXXXX the
  // JSON still parses to the same values. pino-pretty's colours are C0 (ESC)
  // sequences, untouched by this.
  if (c.format === 'json') return pino(options, { write: (line: string) => void out.write(escapeBeyondJson(line)) });
  // In-process and synchronous: a worker-thread transport costs ~240 ms and
  // loses lines at process.exit().
  const { prettyFactory } = require('pino-pretty') as { prettyFactory(o: Record<string, unknown>): (line: string) => string };
  const prettify = prettyFactory({ colorize: colorWanted(process.stderr), singleLine: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'target', messageFormat: '{target}: {msg}' });
  return pino(options, { write: (line: string) => void out.write(escapeBeyondJson(prettify(line))) });
}

/** FORCE_COLOR (not "0") forces colour, else NO_COLOR turns it off, else a terminal decides. */
export function colorWanted(stream: { isTTY?: boolean }): boolean {
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '' && force !== '0') return true;
  if (process.env.NO_COLOR) return false;
  return stream.isTTY === true;
}

/** Writes one record if the filter lets it through. Callers guard hot paths with `enabled`. */
export function emit(target: string, level: LevelValue, msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
  const f = currentFilter();
  if (level === Level.off || !f.enabled(target, level, spans)) return;
  if (f.hasMessageFilter && !f.messageMatches(msg)) return;
  // Pretty lines go to a terminal: guest text must not act on it (JSON escapes by itself).
  // Any message may carry guest text (guest records, span names in tracing::span).
  if (!(config !== false && (config.format === 'json' || config.logger))) msg = escapeControl(msg);
  const record: Record<string, unknown> = { target, ...fields };
  if (spans && spans.length) record.spans = spans.map((s) => s.name);
  output()[PINO_LEVEL[level] as Exclude<(typeof PINO_LEVEL)[number], 'silent'>](record, msg);
}

/** A logger for one host module: target `hyperlight_host::<module>`. */
export class HostLog {
  readonly target: string;
  constructor(module: string) {
    this.target = `${HOST_TARGET}::${module}`;
  }
  /** Cheap: a cached lookup and a comparison. Guard records whose fields cost something. */
  enabled(level: LevelValue, spans?: readonly SpanRef[]): boolean {
    return currentFilter().enabled(this.target, level, spans);
  }
  log(level: LevelValue, msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    emit(this.target, level, msg, fields, spans);
  }
  trace(msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    this.log(Level.trace, msg, fields, spans);
  }
  debug(msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    this.log(Level.debug, msg, fields, spans);
  }
  info(msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    this.log(Level.info, msg, fields, spans);
  }
  warn(msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    this.log(Level.warn, msg, fields, spans);
  }
  error(msg: string, fields?: Record<string, unknown>, spans?: readonly SpanRef[]): void {
    this.log(Level.error, msg, fields, spans);
  }
}

/** Guest levels (Hyperlight's) as filter levels: critical is shown as error. */
export function levelFromGuest(guestLevel: number): LevelValue {
  return ([Level.trace, Level.debug, Level.info, Level.warn, Level.error, Level.error] as const)[guestLevel] ?? Level.error;
}

export { Level, levelName };
