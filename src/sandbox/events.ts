// events.ts: what a sandbox tells its observers: hl's metrics, and an
// embedder's own observer. (Logs and spans are not fed through here: they are
// direct calls that cost nothing when the filter or sampler drops them.)
// Every method is optional; a throwing observer is ignored.
import type { HlError } from '../errors';

export interface GuestLogRecord {
  /** Hyperlight's guest levels: 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 critical. */
  level: number;
  message: string;
  file: string;
  line: number;
}

export interface SandboxObserver {
  onCreate?(e: { durationUs: number; memSize: number }): void;
  onCallStart?(e: { fn: string }): void;
  onCallEnd?(e: { fn: string; durationUs: number; error?: HlError }): void;
  /** The guest function returned an error. */
  onGuestError?(e: { fn: string; code: number; message: string }): void;
  onGuestLog?(e: GuestLogRecord): void;
  /** A call reached its log limit (`reason`: records or bytes); the guest's further records were dropped. */
  onGuestLogsCapped?(e: { limit: number; limitBytes: number; reason: 'records' | 'bytes' }): void;
  onHostCall?(e: { fn: string; durationUs: number; error?: Error }): void;
  onCancel?(e: { fn: string }): void;
  onDispose?(): void;
}

/** Calls one observer method, never letting it break the sandbox. */
export function notify<K extends keyof SandboxObserver>(
  o: SandboxObserver | undefined,
  key: K,
  ...args: Parameters<NonNullable<SandboxObserver[K]>>
): void {
  const f = o?.[key] as ((...a: unknown[]) => void) | undefined;
  if (!f) return;
  try {
    f.apply(o, args);
  } catch {
    // observers must not change the outcome of a call
  }
}

/** One observer that forwards to several (undefined ones are skipped). */
export function combineObservers(...list: (SandboxObserver | undefined)[]): SandboxObserver | undefined {
  const present = list.filter((o): o is SandboxObserver => o !== undefined);
  if (present.length <= 1) return present[0];
  const keys = new Set(present.flatMap((o) => Object.keys(o) as (keyof SandboxObserver)[]));
  const combined: Record<string, (...a: unknown[]) => void> = {};
  for (const key of keys) {
    const targets = present.filter((o) => typeof o[key] === 'function');
    combined[key] = (...args: unknown[]) => {
      for (const o of targets) notify(o, key, ...(args as Parameters<NonNullable<SandboxObserver[typeof key]>>));
    };
  }
  return combined as SandboxObserver;
}
