// log-filter.ts: RUST_LOG-style filter directives with tracing-subscriber
// EnvFilter semantics (parsed in log-directive.ts), plus env_logger's trailing
// /filter on the message (docs/observability.md "Filter logs"). Parsed once;
// the level for a target is cached, so a record filtered out by target costs a
// Map lookup and a comparison.
import { type Directive, directiveKey, isDynamic, isStatic, parseDirective, type ValueMatch } from './log-directive';
import { Level, type LevelName, type LevelValue, levelName } from './levels';
import { matchesToEnd, rustRegex } from './rust-regex';

export { Level, type LevelName, type LevelValue, levelName };

/** A span a record is inside: its name, target, level (default info) and fields. */
export interface SpanRef {
  name: string;
  target: string;
  level?: LevelValue;
  fields?: Readonly<Record<string, unknown>>;
}

/** The fields EnvFilter sees on an event: hl passes none to the filter but the message. */
const EVENT_FIELDS = new Set(['message']);

export class LogFilter {
  /** Directives that did not parse, as written (each warned about once). */
  readonly invalid: string[] = [];
  /** Target directives, most specific first (longest target, then more field names). */
  private readonly statics: Directive[];
  /** Span directives. */
  private readonly dynamics: Directive[];
  private readonly maxDynamic: LevelValue = Level.off;
  /** tracing's max level hint: spans above it are never created, so they cannot enable anything. */
  private readonly maxHint: LevelValue;
  private readonly message?: RegExp;
  private readonly cache = new Map<string, LevelValue>();
  /** True when no valid directive was given: the default (`error`) applies. */
  readonly isDefault: boolean;

  constructor(readonly source: string = '') {
    const slash = source.indexOf('/');
    const spec = slash >= 0 ? source.slice(0, slash) : source;
    if (slash >= 0) {
      // env_logger: a pattern that does not compile is dropped (with a warning), the directives stay.
      const text = source.slice(slash + 1);
      this.message = rustRegex(text);
      if (!this.message) this.invalid.push(`/${text} (not a regular expression; no message filter)`);
    }
    const statics = new Map<string, Directive>();
    const dynamics = new Map<string, Directive>();
    let maxStatic: LevelValue = Level.off;
    let valueFilters = false;
    for (const raw of spec.split(',')) {
      // EnvFilter 0.3.16 rejects a directive with blanks around it; hl trims them (docs: "Differences").
      const text = raw.trim();
      if (text === '') continue;
      const d = parseDirective(text);
      if (!d) {
        this.invalid.push(text);
        continue;
      }
      if (isDynamic(d)) {
        dynamics.delete(directiveKey(d, true));
        dynamics.set(directiveKey(d, true), d);
        this.maxDynamic = Math.max(this.maxDynamic, d.level) as LevelValue;
        valueFilters ||= d.fields.some((f) => f.value !== undefined);
      }
      if (isStatic(d)) {
        statics.set(directiveKey(d, false), d);
        maxStatic = Math.max(maxStatic, d.level) as LevelValue;
      }
    }
    this.dynamics = [...dynamics.values()];
    this.statics = [...statics.values()].sort(bySpecificity);
    this.isDefault = this.statics.length === 0 && this.dynamics.length === 0;
    if (this.isDefault) this.statics.push({ fields: [], level: Level.error });
    this.maxHint = valueFilters ? Level.trace : (Math.max(maxStatic, this.maxDynamic, this.isDefault ? Level.error : Level.off) as LevelValue);
  }

  /** The most verbose level enabled for `target` outside any span directive. */
  levelFor(target: string): LevelValue {
    const hit = this.cache.get(target);
    if (hit !== undefined) return hit;
    const d = this.statics.find((s) => (s.target === undefined || target.startsWith(s.target)) && s.fields.every((f) => EVENT_FIELDS.has(f.name)));
    const level = d ? d.level : Level.off;
    this.cache.set(target, level);
    return level;
  }

  /** Whether a record passes (message filter aside). `spans` are the spans it is inside, outermost first. */
  enabled(target: string, level: LevelValue, spans?: readonly SpanRef[]): boolean {
    if (level <= this.levelFor(target)) return true;
    if (this.dynamics.length === 0 || !spans || level > this.maxDynamic) return false;
    return spans.some((s) => level <= this.spanLevel(s));
  }

  /** The level a span enables inside it: the most verbose span directive that matches it, all its values included. */
  private spanLevel(s: SpanRef): LevelValue {
    if ((s.level ?? Level.info) > this.maxHint) return Level.off; // never created
    let level: LevelValue = Level.off;
    for (const d of this.dynamics) {
      if (d.level <= level || !caresAbout(d, s)) continue;
      if (d.fields.every((f) => f.value === undefined || valueMatches(f.value, s.fields?.[f.name]))) level = d.level;
    }
    return level;
  }

  /** The most verbose level any record of `target` could pass at (span directives included). */
  maxLevelFor(target: string): LevelValue {
    return Math.max(this.levelFor(target), this.maxDynamic) as LevelValue;
  }

  /** The env_logger /filter on the rendered message: a regular expression found anywhere in it. */
  messageMatches(message: string): boolean {
    return this.message ? this.message.test(message) : true;
  }

  get hasMessageFilter(): boolean {
    return this.message !== undefined;
  }
}

function bySpecificity(a: Directive, b: Directive): number {
  return (b.target?.length ?? -1) - (a.target?.length ?? -1) || b.fields.length - a.fields.length;
}

/** EnvFilter's Directive::cares_about for a span: its target, its name, its field names. */
function caresAbout(d: Directive, s: SpanRef): boolean {
  if (d.target !== undefined && !s.target.startsWith(d.target)) return false;
  if (d.span !== undefined && d.span !== s.name) return false;
  return d.fields.every((f) => s.fields !== undefined && Object.prototype.hasOwnProperty.call(s.fields, f.name));
}

/** A field value against a directive's value: literals match only that typed value; patterns match strings. */
function valueMatches(m: ValueMatch, v: unknown): boolean {
  switch (m.kind) {
    case 'bool':
      return typeof v === 'boolean' && v === m.value;
    case 'u64':
    case 'i64':
      return (typeof v === 'number' && Number.isInteger(v) && BigInt(v) === m.value) || (typeof v === 'bigint' && v === m.value);
    case 'f64':
      return typeof v === 'number' && !Number.isInteger(v) && Math.abs(v - m.value) < Number.EPSILON;
    case 'nan':
      return typeof v === 'number' && Number.isNaN(v);
    case 'pattern':
      return typeof v === 'string' && matchesToEnd(m.regex, v);
  }
}
