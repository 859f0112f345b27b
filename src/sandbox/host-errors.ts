// host-errors.ts: turns whatever a host function threw into an Error that is
// safe to read. Embedder code may throw anything (a string, undefined, a
// null-prototype object, a Proxy, an object whose getters throw); reading it
// must never throw again, run the thrower's code, or hand the guest an
// unbounded message.
import { types } from 'node:util';
import { ErrorCode, HlError } from '../errors';

/** Properties hl reads from an error (message to the guest; the rest for spans and logs). */
const READ = ['message', 'name', 'code', 'stack'] as const;

/** The error the guest, the observers, the span and the log see for `thrown`,
 * and its message cut to `max` characters. A plain Error (whose properties
 * are data, not getters, and no Proxy anywhere) is passed on as it is;
 * anything else becomes a HOST_FUNCTION HlError that describes it. */
export function hostFailure(fn: string, thrown: unknown, max: number): { error: Error; text: string } {
  const plain = plainError(thrown);
  if (plain) return { error: plain, text: plain.message.slice(0, max) };
  const text = (typeof thrown === 'string' ? thrown : `host function ${fn} threw ${describe(thrown)}`).slice(0, max);
  return { error: new HlError(ErrorCode.HostFunction, text, { function: fn }), text };
}

/** `v` if it is an Error hl can read without running any of its code. */
function plainError(v: unknown): Error | undefined {
  try {
    if (typeof v !== 'object' || v === null) return undefined;
    const found = new Map<string, PropertyDescriptor>();
    let chainHasError = false;
    for (let o: object | null = v; o !== null; o = Object.getPrototypeOf(o)) {
      if (types.isProxy(o)) return undefined; // a trap is code: never run it
      if (o === Error.prototype) chainHasError = true;
      for (const k of READ) {
        if (found.has(k)) continue;
        const d = Object.getOwnPropertyDescriptor(o, k);
        if (d) found.set(k, d);
      }
    }
    if (!chainHasError) return undefined;
    for (const d of found.values()) if (!('value' in d)) return undefined; // a getter
    return typeof found.get('message')?.value === 'string' ? (v as Error) : undefined;
  } catch {
    return undefined;
  }
}

/** A few words for a thrown non-Error, built without touching its properties. */
function describe(v: unknown): string {
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'number':
    case 'bigint':
    case 'boolean':
      return `the ${typeof v} ${String(v)}`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
    default:
      return v === null ? 'null' : 'a non-Error object';
  }
}
