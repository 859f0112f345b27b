// handle-error.ts: the one place errors become a line on stderr and an exit status.
import { HOST_TARGET, Level, currentFilter } from '../observability/logging';
import { escapeControl } from '../inert-text';
import { HlError } from '../errors';
import { ExitCode, exitCodeFor } from './exit-codes';

/** Stack traces only when the log filter enables debug for hl's host records. */
export function debugEnabled(): boolean {
  return currentFilter().maxLevelFor(HOST_TARGET) >= Level.debug;
}

export function handleError(err: unknown, debug = debugEnabled()): number {
  const e = err as Error;
  const status = err instanceof HlError ? exitCodeFor(err.code) : ExitCode.Failure;
  const text = err instanceof HlError ? err.message : `internal error: ${e?.message ?? String(err)}`;
  process.stderr.write(`hl: error: ${escapeControl(text)}\n`); // guest text included: one line, inert
  // The stack's frames only: its first lines repeat the message, raw.
  const frames = debug && typeof e?.stack === 'string' ? e.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  if (frames.length) process.stderr.write(`${frames.map(escapeControl).join('\n')}\n`);
  return status;
}
