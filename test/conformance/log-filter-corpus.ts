// log-filter-corpus.ts: the directive strings and records hl's log filter is
// compared on with tracing-subscriber's EnvFilter and env_logger
// (log-filter-compare.ts): handwritten edge cases plus seeded random
// combinations of targets, levels, spans, fields and regular expressions.
import type { LevelName } from '../../src/observability/levels';

export type FieldValue = string | number | boolean;
export interface CorpusSpan {
  name: string;
  target: string;
  level: Exclude<LevelName, 'off'>;
  fields: Record<string, FieldValue>;
}
export interface CorpusRecord {
  target: string;
  level: Exclude<LevelName, 'off'>;
  message: string;
  spans: CorpusSpan[];
}
/** One filter string with the records it is tried on. `oracle` says which crate is the reference. */
export interface Case {
  oracle: 'tracing' | 'env_logger';
  filter: string;
  records: CorpusRecord[];
}

/** mulberry32: a small seeded generator, so a failure can be replayed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LEVELS = ['error', 'warn', 'info', 'debug', 'trace'] as const;
const RECORD_TARGETS = ['hyperlight_host::sandbox', 'hyperlight_host::vm', 'hyperlight_host::cli', 'hyperlight_guest', 'tracing::span', 'a', 'a::x', 'a::y', 'ab', 'b', 'my-crate::db'];
const DIRECTIVE_TARGETS = ['hyperlight', 'hyperlight_host', 'hyperlight_host::vm', 'hyperlight_host::sandbox', 'hyperlight_guest', 'tracing', 'a', 'a::x', 'a::y', 'b', 'none', 'my-crate'];
const SPAN_NAMES = ['new', 'call', 'host_function', 'run', 'vcpu_run'];
const SPAN_TARGETS = ['hyperlight_host::sandbox', 'hyperlight_host::cli', 'hyperlight_host::vm', 'hyperlight_guest', 'a::x'];
const FUNCTION_NAMES = ['Echo', 'Add', 'echo', 'PrintOutput', 'Echo2', '5', 'true', 'Échec', 'a.b'];
const VALUE_PATTERNS = ['Echo', 'Add', 'Ech', 'cho', 'Ech.*', 'E.*o', '.*', '[A-Z][a-z]+', '\\w+', '(?i)echo', 'Echo|Add', '\\p{Lu}.*', '[[:upper:]]\\w*', 'a.b', 'a\\.b', '5', 'true', '-3', '1.5', 'x{2}', '\\d', '^Add$'];
const MESSAGES = ['request timeout after 2s', 'hello', 'all fine', 'took 15 ms', 'ERROR in XY', 'ÉCOLE fermée', 'a word here', 'line\r\nbreak', 'sandbox created', 'call to Echo failed', 'vm exit', ''];
const MESSAGE_PATTERNS = ['timeout', '^he.*o$', '(?i)TIMEOUT', '\\d+ ms', '[[:upper:]]{2}', '\\p{Lu}', 'fine|hello', 'x{2,}', 'wor', '.', 'É', 'call to \\w+ failed', '^$', 'exit$', '\\s', '[^a-z ]+$', 'line.break', 'a+?b'];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

function levelText(r: () => number): string {
  const roll = r();
  const name = pick(r, [...LEVELS, 'off']);
  if (roll < 0.1) return String(LEVELS.indexOf(name as (typeof LEVELS)[number]) + 1);
  if (roll < 0.2) return name.toUpperCase();
  if (roll < 0.25) return '';
  return name;
}

function randomDirective(r: () => number): string {
  const lvl = levelText(r);
  const target = pick(r, DIRECTIVE_TARGETS);
  const span = pick(r, SPAN_NAMES);
  const roll = r();
  if (roll < 0.2) return lvl || 'info';
  if (roll < 0.5) return `${target}=${lvl}`;
  if (roll < 0.55) return target;
  if (roll < 0.68) return `[${span}]=${lvl}`;
  if (roll < 0.76) return `${pick(r, ['hyperlight_host', 'hyperlight_guest', 'a', 'hyperlight_host::sandbox'])}[${span}]=${lvl}`;
  if (roll < 0.94) return `[${pick(r, ['call', 'host_function', ''])}{${pick(r, ['function_name', 'count', 'flag'])}=${pick(r, VALUE_PATTERNS)}}]=${lvl}`;
  return `[${span}{${pick(r, ['function_name', 'count'])}}]=${lvl}`;
}

function randomSpan(r: () => number): CorpusSpan {
  const name = pick(r, SPAN_NAMES);
  const fields: Record<string, FieldValue> = {};
  if (r() < 0.7) fields.function_name = pick(r, FUNCTION_NAMES);
  if (r() < 0.3) fields.count = pick(r, [5, 0, 3, -3, 1.5]);
  if (r() < 0.2) fields.flag = r() < 0.5;
  return { name, target: pick(r, SPAN_TARGETS), level: r() < 0.8 ? 'info' : pick(r, LEVELS), fields };
}

function randomRecord(r: () => number, spans: boolean): CorpusRecord {
  const n = spans ? pick(r, [0, 1, 1, 1, 2]) : 0;
  return { target: pick(r, RECORD_TARGETS), level: pick(r, LEVELS), message: pick(r, MESSAGES), spans: Array.from({ length: n }, () => randomSpan(r)) };
}

const rec = (target: string, level: CorpusRecord['level'], spans: CorpusSpan[] = [], message = 'm'): CorpusRecord => ({ target, level, message, spans });
const callSpan = (fn: FieldValue, target = 'hyperlight_host::sandbox', level: CorpusSpan['level'] = 'info'): CorpusSpan => ({ name: 'call', target, level, fields: { function_name: fn } });

/** Every level of a few targets, inside and outside a `call` span. */
function sweep(): CorpusRecord[] {
  const out: CorpusRecord[] = [];
  for (const target of ['a::x', 'hyperlight_guest', 'b']) {
    for (const level of LEVELS) {
      out.push(rec(target, level));
      out.push(rec(target, level, [callSpan('Echo')]));
    }
  }
  return out;
}

/** Directive strings chosen for the rules and quirks of both crates. */
const EDGE_FILTERS = [
  '', 'info', 'OFF', 'a=Info', 'A=info', ',info,', 'a=', '[call]=', 'a', 'x=verbose', 'x=verbose,a=info', '=info', 'a=info,a=warn', 'a::y=warn,a=debug',
  '3', '05', '6', 'info=debug', 'debug=info', 'trace,a=off', 'none,a::x=info',
  ' info', 'info ', 'a=info, b=debug', ' a = info', 'a b=info', 'a.b=info', 'a/b=info', 'é=debug', 'a*=info', 'hyperlight_host::=debug',
  '[]=debug', '[]', 'a[]=debug', '[call]hyperlight_host=debug', 'hyperlight_host[call]=debug', 'hyperlight_guest[call]=debug', '[call][new]=debug', 'a[call]b=debug',
  '[call{function_name=Echo}]=trace', '[call{function_name=Ech}]=trace', '[call{function_name=cho}]=trace', '[call{function_name=Ech.*}]=trace',
  '[call{function_name= Echo}]=trace', '[call{ function_name = Echo }]=trace', '[call{function_name=}]=trace', '[call{function_name}]=trace',
  '[call{function_name=5}]=trace', '[call{function_name=true}]=trace', '[call{function_name=(}]=trace,info', '[call{function_name=a=b}]=trace',
  '[call{function_name=(?i)echo}]=trace', '[call{function_name=\\p{Lu}\\w+}]=trace', '[call{function_name=[[:upper:]].*}]=trace',
  '[call{function_name=^Echo$}]=trace,info', '[call{function_name=\\bEcho}]=trace,info', '[call{function_name=wor(?i)D}]=trace',
  '[{function_name=Echo}]=debug', '[{function_name}]=debug', '[call]=debug,[call{function_name=Echo}]=error', '[call]=info', '[call]=info,b=trace',
];

const EDGE_ENV_LOGGER = [
  'info/timeout', 'a=warn/timeout', 'info/^he.*o$', 'info/(', 'info/a/b', 'info/', '/hello', 'info/(?i)HELLO', 'info/[[:upper:]]{3}', 'info/\\p{Lu}',
  'info/\\bword\\b', 'info/\\d+ ms', 'info/(?x) h e l l o', 'info/line.break', 'info/wor(?i)D', 'info/[a-z&&[^aeiou]]+', '3/hello', ' info /hello',
];

export function edgeCases(): Case[] {
  const records = sweep();
  const spanRecords = [
    rec('b', 'debug', [callSpan('Echo')]), rec('b', 'trace', [callSpan('Echo')]), rec('b', 'trace', [callSpan('xEcho')]), rec('b', 'trace', [callSpan('Echo Echo')]),
    rec('b', 'trace', [callSpan(5)]), rec('b', 'trace', [callSpan('5')]), rec('b', 'trace', [callSpan(true)]), rec('b', 'trace', [callSpan('true')]),
    rec('b', 'trace', [callSpan('echo')]), rec('b', 'trace', [callSpan('Échec')]), rec('b', 'trace', [callSpan('a=b')]),
    rec('b', 'info', [callSpan('Echo', 'hyperlight_host::sandbox', 'trace')]), rec('b', 'debug', [callSpan('Echo', 'hyperlight_guest')]),
    rec('b', 'debug', [{ name: 'call', target: 'hyperlight_host::sandbox', level: 'info', fields: {} }]),
    rec('b', 'debug', [{ name: 'new', target: 'hyperlight_host::sandbox', level: 'info', fields: {} }, callSpan('Add')]),
  ];
  const cases: Case[] = EDGE_FILTERS.map((filter) => ({ oracle: 'tracing', filter, records: [...records, ...spanRecords] }));
  const messages = MESSAGES.flatMap((m) => [rec('a::x', 'info', [], m), rec('b', 'error', [], m), rec('hello', 'warn', [], m)]);
  for (const filter of EDGE_ENV_LOGGER) cases.push({ oracle: 'env_logger', filter, records: messages });
  return cases;
}

export function randomCases(seed: number, tracingFilters: number, envFilters: number, recordsPer: number): Case[] {
  const r = rng(seed);
  const cases: Case[] = [];
  for (let i = 0; i < tracingFilters; i++) {
    const filter = Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomDirective(r)).join(',');
    cases.push({ oracle: 'tracing', filter, records: Array.from({ length: recordsPer }, () => randomRecord(r, true)) });
  }
  for (let i = 0; i < envFilters; i++) {
    const dirs = Array.from({ length: Math.floor(r() * 3) }, () => (r() < 0.4 ? pick(r, LEVELS) : `${pick(r, DIRECTIVE_TARGETS)}=${pick(r, [...LEVELS, 'off'])}`));
    const filter = `${dirs.join(',')}/${pick(r, MESSAGE_PATTERNS)}`;
    cases.push({ oracle: 'env_logger', filter, records: Array.from({ length: recordsPer }, () => randomRecord(r, false)) });
  }
  return cases;
}

const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n');

function fieldLine(name: string, v: FieldValue): string {
  const kind = typeof v === 'boolean' ? 'b' : typeof v === 'string' ? 's' : !Number.isInteger(v) ? 'f' : v < 0 ? 'i' : 'u';
  return ['V', esc(name), kind, esc(String(v))].join('\t');
}

/** The text format test/conformance/log-filter/src/corpus.rs reads. */
export function encode(cases: Case[]): string {
  const lines: string[] = [];
  for (const c of cases) {
    lines.push(`F\t${esc(c.filter)}`);
    for (const r of c.records) {
      lines.push(['R', esc(r.target), r.level, esc(r.message), String(r.spans.length)].join('\t'));
      for (const s of r.spans) {
        lines.push(['P', esc(s.name), esc(s.target), s.level, String(Object.keys(s.fields).length)].join('\t'));
        for (const [k, v] of Object.entries(s.fields)) lines.push(fieldLine(k, v));
      }
    }
  }
  return lines.join('\n') + '\n';
}
