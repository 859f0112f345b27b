// trace-tree.ts: collects finished spans and renders them as an indented tree
// with durations, attributes, events and errors (like tracing-forest).
// Span and event names, attribute keys and values and error messages may be
// the guest's: each is shown inert (escaped), so the tree stays one line per
// item and never acts on the terminal it is printed to.
import { escapeControl } from '../inert-text';
import type { SpanData, TraceConsumer } from './tracing';

export interface TreeCollector extends TraceConsumer {
  /** The spans finished so far, as a tree per root, oldest root first. */
  render(options?: { color?: boolean }): string;
}

export function formatDuration(ms: number): string {
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 1 : 0)}µs`;
  if (ms < 1000) return `${ms.toFixed(ms < 10 ? 2 : 1)}ms`;
  return `${(ms / 1000).toFixed(2)}s`;
}

function attrs(a: Record<string, unknown> | undefined): string {
  if (!a) return '';
  return Object.entries(a)
    .filter(([k]) => k !== 'exception.stacktrace')
    .map(([k, v]) => ` ${escapeControl(k)}=${escapeControl(typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v))}`)
    .join('');
}

export function treeCollector(): TreeCollector {
  const finished: SpanData[] = [];
  return {
    onStart() {},
    onEnd(s) {
      finished.push(s);
    },
    render({ color = false } = {}) {
      const dim = (t: string) => (color ? `\x1b[2m${t}\x1b[0m` : t);
      const red = (t: string) => (color ? `\x1b[31m${t}\x1b[0m` : t);
      const children = new Map<SpanData | undefined, SpanData[]>();
      const known = new Set(finished);
      for (const s of finished) {
        const key = s.parent && known.has(s.parent) ? s.parent : undefined;
        children.set(key, [...(children.get(key) ?? []), s]);
      }
      for (const list of children.values()) list.sort((a, b) => a.startMs - b.startMs);
      const lines: string[] = [];
      const walk = (s: SpanData, prefix: string, last: boolean, root: boolean) => {
        const branch = root ? '' : last ? '└─ ' : '├─ ';
        const took = formatDuration((s.endMs ?? s.startMs) - s.startMs);
        const err = s.status.code === 'error' ? ` ${red(`error: ${escapeControl(s.status.message ?? '')}`)}` : '';
        lines.push(`${prefix}${branch}${escapeControl(s.name)} ${took}${dim(attrs(s.attributes))}${err}`);
        const next = root ? prefix : prefix + (last ? '   ' : '│  ');
        const kids = children.get(s) ?? [];
        const items: ({ kind: 'event'; e: SpanData['events'][number] } | { kind: 'span'; s: SpanData })[] = [
          ...s.events.filter((e) => e.name !== 'exception').map((e) => ({ kind: 'event' as const, e })),
          ...kids.map((k) => ({ kind: 'span' as const, s: k })),
        ];
        items.sort((a, b) => (a.kind === 'event' ? a.e.timeMs : a.s.startMs) - (b.kind === 'event' ? b.e.timeMs : b.s.startMs));
        items.forEach((it, i) => {
          const end = i === items.length - 1;
          if (it.kind === 'span') walk(it.s, next, end, false);
          else lines.push(`${next}${end ? '└─ ' : '├─ '}• ${escapeControl(it.e.name)}${dim(attrs(it.e.attributes))}`);
        });
      };
      for (const root of children.get(undefined) ?? []) {
        lines.push(dim(`trace ${root.traceId}`));
        walk(root, '', true, true);
      }
      return lines.join('\n') + (lines.length ? '\n' : '');
    },
  };
}

/**
 * For embedders: collects hl's spans from now on; `render()` gives the tree
 * so far (the library's equivalent of `hl run --trace`), `stop()` detaches.
 */
export function traceTree(): { render(options?: { color?: boolean }): string; stop(): void } {
  const { addTraceConsumer } = require('./tracing') as typeof import('./tracing');
  const tree = treeCollector();
  const stop = addTraceConsumer(tree);
  return { render: (o) => tree.render(o), stop };
}
