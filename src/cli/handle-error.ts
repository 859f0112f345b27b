// handle-error.ts: the one place errors become a line on stderr and an exit status.
import { HlError } from '../sandbox/errors';
import { ExitCode, exitCodeFor } from './exit-codes';

/** Stack traces only when the log filter asks for debug or trace. */
export function debugEnabled(filter = process.env.HL_LOG ?? process.env.RUST_LOG ?? ''): boolean {
  return /(^|[,=])\s*(debug|trace|4|5)\s*(,|$)/i.test(filter);
}

export function handleError(err: unknown, debug = debugEnabled()): number {
  const e = err as Error;
  const status = err instanceof HlError ? exitCodeFor(err.code) : ExitCode.Failure;
  const text = err instanceof HlError ? err.message : `internal error: ${e?.message ?? String(err)}`;
  process.stderr.write(`hl: error: ${text}\n`);
  if (debug && e?.stack) process.stderr.write(`${e.stack}\n`);
  return status;
}
