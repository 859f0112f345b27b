// log-filter.ts: RUST_LOG-style filter directives with tracing-subscriber
// EnvFilter semantics, plus env_logger's trailing /filter (docs: README
// "Filter logs"). Parsed once; `levelFor` is cached per target so a record
// that is filtered out costs a Map lookup and a comparison.

/** Levels, most severe first; a record passes when its level <= the enabled level. */
export const Level = { off: 0, error: 1, warn: 2, info: 3, debug: 4, trace: 5 } as const;
export type LevelName = keyof typeof Level;
export type LevelValue = (typeof Level)[LevelName];
const NAMES: LevelName[] = ['off', 'error', 'warn', 'info', 'debug', 'trace'];

export function levelName(v: number): LevelName {
  return NAMES[Math.max(0, Math.min(5, v))];
}

interface TargetDirective {
  target: string; // '' = the default for every target
  level: LevelValue;
}

interface SpanDirective {
  target: string;
  span: string;
  field?: { name: string; value: string };
  level: LevelValue;
}

/** A span a record is inside: its name and fields. */
export interface SpanRef {
  name: string;
  fields?: Readonly<Record<string, unknown>>;
}

export class LogFilter {
  /** Directives that did not parse, as written (each warned about once). */
  readonly invalid: string[] = [];
  private readonly targets: TargetDirective[] = [];
  private readonly spans: SpanDirective[] = [];
  private readonly message?: { regex?: RegExp; text: string };
  private readonly cache = new Map<string, LevelValue>();
  /** True when no valid directive was given: the default (`error`) applies. */
  readonly isDefault: boolean;

  constructor(readonly source: string = '') {
    const slash = source.indexOf('/');
    const spec = slash >= 0 ? source.slice(0, slash) : source;
    if (slash >= 0) {
      const text = source.slice(slash + 1);
      let regex: RegExp | undefined;
      try {
        regex = new RegExp(text);
      } catch {
        this.invalid.push(`/${text} (not a regular expression; matched as plain text)`);
      }
      this.message = { regex, text };
    }
    for (const raw of spec.split(',')) {
      const d = raw.trim();
      if (d === '') continue;
      if (!this.parseDirective(d)) this.invalid.push(d);
    }
    this.isDefault = this.targets.length === 0 && this.spans.length === 0;
    if (this.isDefault) this.targets.push({ target: '', level: Level.error });
  }

  private parseDirective(d: string): boolean {
    const eq = d.lastIndexOf('=');
    // `target[span{field=value}]=level`: the last '=' outside braces splits off the level.
    let left = d;
    let level: LevelValue | undefined = Level.trace;
    if (eq > d.lastIndexOf('}')) {
      left = d.slice(0, eq);
      level = parseLevel(d.slice(eq + 1));
      if (level === undefined) return false;
    }
    const span = /^([^[\]{}=]*)\[([^\]{}]*)(?:\{([^}=]+)(?:=([^}]*))?\})?\]$/.exec(left);
    if (span) {
      const [, target, name, field, value] = span;
      this.spans.push({ target, span: name, field: field ? { name: field.trim(), value: (value ?? '').trim() } : undefined, level });
      return true;
    }
    if (/[[\]{}=\s]/.test(left)) return false;
    // A lone word that is a level is the default level; any other word is a target at trace.
    if (eq < 0 || eq <= d.lastIndexOf('}')) {
      const asLevel = parseLevel(left);
      if (asLevel !== undefined) {
        this.targets.push({ target: '', level: asLevel });
        return true;
      }
    }
    if (left === '') return false;
    this.targets.push({ target: left, level });
    return true;
  }

  /** The most verbose level enabled for `target` outside any span directive. */
  levelFor(target: string): LevelValue {
    const hit = this.cache.get(target);
    if (hit !== undefined) return hit;
    let best: TargetDirective | undefined;
    for (const d of this.targets) {
      // Longest matching target wins; for the same target, the later one.
      if (target.startsWith(d.target) && (!best || d.target.length >= best.target.length)) best = d;
    }
    const level = best ? best.level : Level.off;
    this.cache.set(target, level);
    return level;
  }

  /** Whether a record passes (message filter aside). `spans` are the spans it is inside, outermost first. */
  enabled(target: string, level: LevelValue, spans?: readonly SpanRef[]): boolean {
    if (level <= this.levelFor(target)) return true;
    if (this.spans.length === 0 || !spans || spans.length === 0) return false;
    return level <= this.spanLevel(target, spans);
  }

  private spanLevel(target: string, spans: readonly SpanRef[]): LevelValue {
    let level: LevelValue = Level.off;
    for (const d of this.spans) {
      if (!target.startsWith(d.target) || d.level <= level) continue;
      const inside = spans.some(
        (s) => (d.span === '' || s.name === d.span) && (!d.field || (s.fields !== undefined && d.field.name in s.fields && (d.field.value === '' || String(s.fields[d.field.name]) === d.field.value))),
      );
      if (inside) level = d.level;
    }
    return level;
  }

  /** The most verbose level any record of `target` could pass at (span directives included). */
  maxLevelFor(target: string): LevelValue {
    let level = this.levelFor(target);
    for (const d of this.spans) if (target.startsWith(d.target) || d.target.startsWith(target)) level = Math.max(level, d.level) as LevelValue;
    return level;
  }

  /** The env_logger /filter on the rendered message. */
  messageMatches(message: string): boolean {
    if (!this.message) return true;
    return this.message.regex ? this.message.regex.test(message) : message.includes(this.message.text);
  }

  get hasMessageFilter(): boolean {
    return this.message !== undefined;
  }
}

function parseLevel(s: string): LevelValue | undefined {
  const t = s.trim().toLowerCase();
  if (/^[0-5]$/.test(t)) return Number(t) as LevelValue;
  return (NAMES as string[]).includes(t) ? Level[t as LevelName] : undefined;
}
