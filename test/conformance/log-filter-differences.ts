// log-filter-differences.ts: the differences between hl's log filter and the
// reference crates that hl keeps on purpose. Each id appears in
// docs/observability.md ("Differences from tracing-subscriber and env_logger")
// with its reason; the conformance test fails on any difference not explained
// here, and on an id the doc does not mention.
import type { Difference } from './log-filter-compare';

export interface KnownDifference {
  id: string;
  oracle: 'tracing' | 'env_logger';
  explains(d: Difference): boolean;
}

const spec = (filter: string): string => filter.split('/')[0];
/** A `(?flags)` or `(?flags:` group anywhere but at the start of a pattern. */
const lateFlags = (pattern: string): boolean => /.\(\?[a-zA-Z-]+[):]/.test(pattern);
const messagePattern = (filter: string): string => filter.slice(filter.indexOf('/') + 1);

export const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    id: 'blanks-around-directives',
    oracle: 'tracing',
    explains: (d) => spec(d.filter).split(',').some((x) => x.trim() !== '' && x !== x.trim()),
  },
  { id: 'slash-message-filter', oracle: 'tracing', explains: (d) => d.filter.includes('/') },
  { id: 'late-inline-flags', oracle: 'tracing', explains: (d) => lateFlags(d.filter) },
  { id: 'more-than-one-slash', oracle: 'env_logger', explains: (d) => d.filter.split('/').length > 2 },
  { id: 'late-inline-flags', oracle: 'env_logger', explains: (d) => d.filter.includes('/') && lateFlags(messagePattern(d.filter)) },
  { id: 'class-set-operations', oracle: 'env_logger', explains: (d) => /\[[^\]]*(&&|--|~~)/.test(messagePattern(d.filter)) },
  {
    id: 'envfilter-directives',
    oracle: 'env_logger',
    // hl reads the directives as EnvFilter does: 0-5 are levels, [span] is a span, not a target.
    explains: (d) => spec(d.filter).split(',').some((x) => /^\s*[0-5]\s*$|=\s*[0-5]\s*$|\[/.test(x)),
  },
];
