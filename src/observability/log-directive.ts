// log-directive.ts: one RUST_LOG directive, parsed the way tracing-subscriber
// 0.3's EnvFilter parses it (filter/env/directive.rs), so a directive string
// means in hl what it means in a Rust service. Where hl deliberately differs,
// docs/observability.md ("Differences from tracing-subscriber and env_logger")
// says so and why.
import { Level, type LevelValue } from './levels';
import { rustRegex } from './rust-regex';

/** A field condition in `[span{name=value}]`: a typed literal or a pattern. */
export type ValueMatch =
  | { kind: 'bool'; value: boolean }
  | { kind: 'u64' | 'i64'; value: bigint }
  | { kind: 'f64'; value: number }
  | { kind: 'nan' }
  | { kind: 'pattern'; source: string; regex: RegExp };

export interface FieldMatch {
  name: string;
  value?: ValueMatch;
}

export interface Directive {
  target?: string;
  /** `[name]`: the span the directive is about (dynamic directive). */
  span?: string;
  fields: FieldMatch[];
  level: LevelValue;
}

const LEVEL = '(?:trace|debug|info|warn|error|off|[0-5])';
const GLOBAL = new RegExp(`^${LEVEL}$`, 'i');
// Rust's \w is Unicode-aware.
const TARGET_CHAR = '[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}:\\-]';
const DIRECTIVE = new RegExp(`^((?:${TARGET_CHAR}+|\\[[^\\]]*\\]){1,2})(?:=(${LEVEL})?)?$`, 'iu');
const TOKEN = new RegExp(`${TARGET_CHAR}+|\\[[^\\]]*\\]`, 'gu');
const SPAN_PART = /([^\]{]+)?(?:\{([^}]*)\})?/;
const FIELD = /([0-9A-Za-z_][0-9A-Za-z_.]*(?:=[^,]+)?)(?:,\s?|$)/g;

/** tracing's LevelFilter::from_str: a level name (any case) or 0-5 (off..trace, leading zeros allowed). */
export function parseLevel(s: string): LevelValue | undefined {
  if (/^[0-9]+$/.test(s)) return BigInt(s) <= 5n ? (Number(s) as LevelValue) : undefined;
  const t = s.toLowerCase();
  return t in Level ? Level[t as keyof typeof Level] : undefined;
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

/** tracing-subscriber's ValueMatch::parse_regex: bool, u64, i64, f64, else a pattern. */
function parseValue(s: string): ValueMatch | undefined {
  if (s === 'true' || s === 'false') return { kind: 'bool', value: s === 'true' };
  if (/^\+?[0-9]+$/.test(s) && BigInt(s.replace('+', '')) <= U64_MAX) return { kind: 'u64', value: BigInt(s.replace('+', '')) };
  if (/^[+-]?[0-9]+$/.test(s)) {
    const v = BigInt(s.replace('+', ''));
    if (v >= I64_MIN && v <= I64_MAX) return { kind: 'i64', value: v };
  }
  if (/^[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)$/i.test(s)) {
    const t = s.toLowerCase().replace(/^\+/, '');
    const v = /nan$/.test(t) ? NaN : /inf/.test(t) ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
    return Number.isNaN(v) ? { kind: 'nan' } : { kind: 'f64', value: v };
  }
  const regex = rustRegex(s, true);
  return regex ? { kind: 'pattern', source: s, regex } : undefined;
}

/** One directive, or undefined when EnvFilter would reject it. `d` is already trimmed. */
export function parseDirective(d: string): Directive | undefined {
  if (GLOBAL.test(d)) return { fields: [], level: parseLevel(d) as LevelValue };
  const m = DIRECTIVE.exec(d);
  if (!m) return undefined;
  let target: string | undefined;
  let spanToken: string | undefined;
  for (const t of m[1].match(TOKEN) ?? []) {
    if (t.startsWith('[')) spanToken = t;
    else target = t;
  }
  // A target spelled like a level (`info=debug`, `05`) is no target: EnvFilter reads it as the default.
  if (target !== undefined && parseLevel(target) !== undefined) target = undefined;
  let span: string | undefined;
  const fields: FieldMatch[] = [];
  if (spanToken !== undefined) {
    const inner = spanToken.replace(/^[[\]]+|[[\]]+$/g, '');
    const part = SPAN_PART.exec(inner) as RegExpExecArray;
    span = part[1];
    for (const f of part[2] === undefined ? [] : part[2].matchAll(FIELD)) {
      const [name, raw] = f[1].split('=');
      if (raw === undefined) {
        fields.push({ name });
        continue;
      }
      const value = parseValue(raw);
      if (!value) return undefined;
      fields.push({ name, value });
    }
  }
  const level = m[2] === undefined ? Level.trace : (parseLevel(m[2]) as LevelValue);
  return { target, span, fields, level };
}

/** A span directive (EnvFilter's "dynamic" directives): it names a span or fields. */
export function isDynamic(d: Directive): boolean {
  return d.span !== undefined || d.fields.length > 0;
}

/** Whether it also acts on records by target alone (EnvFilter's "static" directives). */
export function isStatic(d: Directive): boolean {
  return d.span === undefined && !d.fields.some((f) => f.value !== undefined);
}

/** Identity for "the same directive twice: the later one wins". */
export function directiveKey(d: Directive, withValues: boolean): string {
  const fields = d.fields.map((f) => (withValues ? [f.name, f.value ? valueKey(f.value) : null] : f.name));
  return JSON.stringify([d.target ?? null, withValues ? (d.span ?? null) : null, fields]);
}

function valueKey(v: ValueMatch): string {
  switch (v.kind) {
    case 'pattern':
      return `re:${v.source}`;
    case 'nan':
      return 'nan';
    default:
      return `${v.kind}:${String(v.value)}`;
  }
}
