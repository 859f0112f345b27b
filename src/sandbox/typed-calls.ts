// typed-calls.ts: a typed view of a guest's functions. call() returns the
// union of every ABI value (JsValue); a TypeScript user who knows the guest
// declares its functions once, as an interface, and calls them as methods:
//
//   interface Simple { Echo(s: string): string; Add(a: number, b: number): number }
//   const g = guestApi<Simple>(sandbox);
//   const n: number = await g.Add(1, 2);
//
// The interface is the user's promise, not a check: every call still goes
// through call(), which checks the name and the arguments against what the
// guest declared (UNKNOWN_FUNCTION, USAGE), and the result is the value the
// guest's declared return type maps to (JsValueOf in ../abi/types.ts).
import type { JsValue } from '../abi/types';
import type { CallOptions, Sandbox } from './sandbox';

/** Each function of T as a method that returns a promise of its result. */
export type GuestApi<T> = {
  readonly [K in keyof T & string]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

/** Methods named after guest functions, each calling `sandbox.call(name, args, options)`. */
export function guestApi<T extends object>(sandbox: Sandbox, options: CallOptions = {}): GuestApi<T> {
  const target = Object.create(null) as Record<string, unknown>;
  return new Proxy(target, {
    get(_t, name) {
      // `then` stays undefined: an awaited or returned api must not look like a promise.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return (...args: unknown[]) => sandbox.call<JsValue>(name, args, options);
    },
    set() {
      return false;
    },
  }) as GuestApi<T>;
}
