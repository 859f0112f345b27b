// host-calls.ts: the functions the host offers to guests, and serving one
// request: check it against the function's signature, run the function (it may
// be async; a cancel of the call stops the wait), write the reply buffer.
import * as abi from '../abi/constants';
import type { Reader } from '../abi/codec';
import { decodeHostCall, encodeHostError, encodeHostResult } from '../abi/messages';
import type { ParamType, ValueType } from '../abi/types';
import { ErrorCode, HlError, usage } from '../errors';
import { HostLog, Level } from '../observability/logging';
import { CANCELLED, type CallContext } from './call-context';
import { notify, type SandboxObserver } from './events';
import { HostFrame } from './host-context';
import { hostFailure } from './host-errors';
import { checkValue } from './values';

/** A function the host offers to guests. */
export interface HostFunction {
  name: string;
  params: ParamType[];
  returns: ValueType;
  fn: (...args: any[]) => unknown;
}

/** Host function failures logged per call: the guest chooses how many happen. */
const MAX_HOST_ERROR_LOGS = 10;
export const SANDBOX_TARGET = 'hyperlight_host::sandbox';
const log = new HostLog('sandbox');
const now = () => process.hrtime.bigint();

export function checkHostFunctions(list: HostFunction[]): Map<string, HostFunction> {
  const m = new Map<string, HostFunction>();
  for (const f of list) {
    if (!f || typeof f.name !== 'string' || f.name.length === 0 || f.name.length > abi.HL_MAX_NAME_LEN) throw usage('host function names must be 1-255 characters');
    if (typeof f.fn !== 'function') throw usage(`host function ${f.name} has no fn`);
    if (!Array.isArray(f.params) || f.params.length > abi.HL_MAX_ARGS) throw usage(`host function ${f.name}: params must be an array of at most ${abi.HL_MAX_ARGS} types`);
    m.set(f.name, f);
  }
  return m;
}

export interface HostCallEnv {
  /** The sandbox the functions run for: a call back into it from one of them is REENTRANT. */
  owner: object;
  functions: Map<string, HostFunction>;
  replySize: number;
  observer: SandboxObserver | undefined;
  /** True once the sandbox was disposed (possibly by the host function itself). */
  disposed(): boolean;
  writeReply(reply: Buffer): void;
}

/** Serves one host-call request; throws CANCELLED when the call was cancelled or the sandbox disposed meanwhile. */
export async function serveHostCall(env: HostCallEnv, kind: number, r: Reader, ctx: CallContext): Promise<void> {
  const req = decodeHostCall(kind, r);
  const name = req.name;
  const start = now();
  const hostSpan = ctx.traceParent.child('host_function', Level.trace, SANDBOX_TARGET, { function_name: name });
  let reply: Buffer;
  let error: Error | undefined;
  try {
    const hf = env.functions.get(name);
    if (!hf) throw new HlError(ErrorCode.HostFunction, `unknown host function "${name}"`);
    if (req.returns !== hf.returns) throw new HlError(ErrorCode.HostFunction, `host function ${name} returns ${hf.returns}, the guest expected ${req.returns ?? req.returnCode}`);
    if (req.args.length !== hf.params.length || req.args.some((a, i) => a.type !== hf.params[i])) {
      throw new HlError(ErrorCode.HostFunction, `host function ${name}(${hf.params.join(', ')}) called with (${req.args.map((a) => a.type).join(', ')})`);
    }
    // The frame marks the host function, across its awaits, as running inside this call until it settles or the call ends.
    const frame = HostFrame.enter(env.owner, name);
    let result: unknown;
    try {
      const pending = frame.run(() => Promise.resolve(hf.fn(...req.args.map((a) => a.value))));
      result = await Promise.race([pending, ctx.cancelled]);
    } finally {
      frame.end();
    }
    const value = checkValue(hf.returns, result, `the result of host function ${name}`);
    reply = encodeHostResult(env.replySize, name, hf.returns, value);
  } catch (err) {
    if (err === CANCELLED) {
      hostSpan.setAttribute('hl.cancelled', true);
      hostSpan.end();
      throw err; // the call is over, not the host function's failure
    }
    const failure = hostFailure(name, err, abi.HL_MAX_ERROR_MSG_LEN);
    error = failure.error;
    reply = encodeHostError(env.replySize, failure.text);
  }
  if (error) hostSpan.recordError(error);
  hostSpan.end();
  notify(env.observer, 'onHostCall', { fn: name, durationUs: Number(now() - start) / 1000, error });
  // The guest's own mistake (no such function, wrong types) is the guest's error to report: debug.
  // The embedder's function throwing is news to no one else: error.
  const level = error instanceof HlError && error.code === ErrorCode.HostFunction ? Level.debug : Level.error;
  if (error && ++ctx.hostErrors <= MAX_HOST_ERROR_LOGS && log.enabled(level, ctx.spans)) {
    const more = ctx.hostErrors === MAX_HOST_ERROR_LOGS ? ' (further host function failures in this call are not logged)' : '';
    log.log(level, `host function ${name} failed; the guest gets the error${more}`, { detail: String(error.message ?? error) }, ctx.spans);
  }
  if (env.disposed()) throw CANCELLED; // disposed by the host function: the caller reports DISPOSED
  env.writeReply(reply);
}
