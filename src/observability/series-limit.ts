// series-limit.ts: bounds the label sets (series) a metric can grow when a
// label value comes from a guest. Every series stays in prom-client's memory
// and on every /metrics page for the life of the process, so a guest that
// invents a fresh value per call would grow the host without end.

import { INERT_ESCAPED } from '../inert-text';

/** The label value that stands for every value past a metric's limit. */
export const OTHER = '(other)';

/**
 * The label sets one metric has admitted. Under the limit a new set is
 * admitted as given; past it, the observation is folded into the caller's
 * fallback (a coarser set the caller keeps bounded) or, without one, into the
 * set whose every label is `(other)`. Each fold is counted.
 */
export class SeriesLimit<L extends string> {
  private readonly seen = new Set<string>();

  constructor(
    readonly limit: number,
    /** Called once per observation recorded under a folded label set. */
    private readonly onFold: () => void,
  ) {}

  /** The labels to record under: `labels` itself when admitted (test with ===), else a folded set. */
  admit(labels: Record<L, string>, fallback?: Record<L, string>): Record<L, string> {
    const key = Object.values(labels).join('\u0000');
    if (this.seen.has(key)) return labels;
    if (this.seen.size < this.limit) {
      this.seen.add(key);
      return labels;
    }
    this.onFold();
    return fallback ?? (Object.fromEntries(Object.keys(labels).map((k) => [k, OTHER])) as Record<L, string>);
  }
}

/** Most characters a guest-chosen label value keeps. */
export const MAX_LABEL_CHARS = 120;

/**
 * A guest's text as a label value: cut to `max` characters (whole code points,
 * so no lone surrogate), and every character the CLI escapes in guest text
 * (C0, DEL, C1, line separators, bidi controls, invisible characters: the
 * set of inert-text.ts) replaced by U+FFFD, so no terminal escape, line break,
 * reordering or hidden text reaches a /metrics page or a dump on a TTY.
 */
export function labelValue(text: string, max = MAX_LABEL_CHARS): string {
  let out = '';
  let n = 0;
  for (const ch of text) {
    if (n++ === max) break;
    out += ch;
  }
  return out.replace(INERT_ESCAPED, '\ufffd');
}
