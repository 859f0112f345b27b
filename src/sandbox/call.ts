// call.ts: one guest function call, from its arguments to its result:
// checks and encodes the arguments into the input buffer, runs the guest to
// its done-exit (under gdb or the profiler when the options ask), decodes the
// result, and tells observers, logs and spans how it went. The Sandbox
// (sandbox.ts) queues calls and runs each inside its guard (timeout, signal,
// poisoning, core dumps); CallHost is what a call needs of it.
import * as abi from '../abi/constants';
import { encodeCall } from '../abi/codec';
import type { Message } from '../abi/codec';
import { decodeResult } from '../abi/messages';
import type { FunctionSignature, JsValue } from '../abi/types';
import type { RawExit, RawVm } from '../native';
import { ErrorCode, GuestError, HlError } from '../errors';
import { GUEST_TARGET, HostLog, Level } from '../observability/logging';
import { type Span, nowMs, wouldRecord } from '../observability/tracing';
import { MAX_GUEST_SPANS_PER_CALL, SpanBudget, reportDropped } from '../observability/span-budget';
import { notify, type SandboxObserver } from './events';
import type { GuestImage } from './elf';
import type { Layout } from './layout';
import { checkValue } from './values';
import { CANCELLED, CallContext } from './call-context';
import { SANDBOX_TARGET } from './host-calls';
import type { GuestLogBridge } from './guest-logs';
import type { GuestSpans } from './guest-spans';
import { RunIntervals } from './guest-clock';
import type { SymbolTable } from './symbols';
import { startDebugCall } from './debug-call';
import type { CallOptions } from './options';

export interface CallHost {
  readonly vm: RawVm;
  readonly image: GuestImage;
  readonly layout: Layout;
  readonly spinUs: number;
  readonly observer: SandboxObserver | undefined;
  readonly logs: GuestLogBridge;
  readonly guestSpans: GuestSpans;
  disposed(): boolean;
  /** The signature for `name` and this many arguments (UNKNOWN_FUNCTION or USAGE otherwise). */
  lookup(name: string, argCount: number): FunctionSignature;
  /** The image's symbols, read once (for profiles). */
  symbols(): SymbolTable;
  /** Runs `body` as the sandbox's current work under the timeout and signal. */
  guarded<T>(ctx: CallContext, options: CallOptions, body: () => Promise<T>): Promise<T>;
  /** Drives the vCPU from `first` to the guest's done-exit. */
  drive(ctx: CallContext, first: () => RawExit | Promise<RawExit>): Promise<Message>;
}

const now = () => process.hrtime.bigint();
const micros = (start: bigint) => Number(now() - start) / 1000;
const log = new HostLog('sandbox');

/** Calls `name` with `args` inside the call's `span`; the result, or a typed error. */
export async function runCall(host: CallHost, name: string, args: unknown[], options: CallOptions, span: Span): Promise<JsValue> {
  const { vm, image, layout, spinUs } = host;
  const sig = host.lookup(name, args.length);
  const typed = sig.params.map((type, i) => ({ type, value: checkValue(type, args[i], `argument ${i + 1} of ${name}`) }));
  const msg = encodeCall(layout.input.size, name, typed);
  vm.write(layout.input.addr, msg);
  const obs = host.observer;
  host.logs.sync();
  const budget = new SpanBudget(span);
  const ctx = new CallContext(name, [{ name: 'call', target: SANDBOX_TARGET, fields: { function_name: name } }], budget);
  const recordGuestSpans = span.recording && wouldRecord(GUEST_TARGET, Level.info);
  host.guestSpans.setRecording(recordGuestSpans);
  ctx.runTimes = recordGuestSpans ? new RunIntervals() : undefined;
  const entryMs = nowMs();
  notify(obs, 'onCallStart', { fn: name });
  const start = now();
  const profile = options.profile;
  if (profile && profile.remaining > 0) vm.startProfile(profile.hz, profile.remaining);
  try {
    const result = await host.guarded(ctx, options, async () => {
      const debug = options.gdb ? await startDebugCall(vm, image, layout, spinUs, options.gdb, ctx.cancelled) : undefined;
      ctx.debugStop = debug?.onStop;
      try {
        const done = await host.drive(ctx, debug ? () => debug.first() : () => vm.run(spinUs, image.dispatch, layout.stackTop, abi.HL_PEB_ADDR));
        debug?.finish(undefined);
        return decodeResult(done.kind, done.reader, sig);
      } catch (err) {
        debug?.finish(err === CANCELLED ? new HlError(ErrorCode.Cancelled, 'cancelled') : err);
        throw err;
      }
    });
    notify(obs, 'onCallEnd', { fn: name, durationUs: micros(start) });
    return result;
  } catch (err) {
    const e = err instanceof HlError ? err : new HlError(ErrorCode.Internal, String((err as Error)?.message ?? err), {}, { cause: err });
    if (e instanceof GuestError) notify(obs, 'onGuestError', { fn: name, code: e.guestCode, message: e.guestMessage });
    // The caller gets the error; the log has the details (debug), or says it loud when hl itself failed.
    const level = e.code === ErrorCode.Internal ? Level.error : Level.debug;
    if (log.enabled(level, ctx.spans)) log.log(level, `call to ${name} failed`, errorFields(e), ctx.spans);
    notify(obs, 'onCallEnd', { fn: name, durationUs: micros(start), error: e });
    throw e;
  } finally {
    const disposed = host.disposed();
    if (profile && profile.remaining > 0 && !disposed) profile.add(vm.stopProfile(), host.symbols());
    const guestBudget = new SpanBudget(span, MAX_GUEST_SPANS_PER_CALL);
    if (recordGuestSpans && !disposed) host.guestSpans.collect(span, ctx.runTimes ?? new RunIntervals(), entryMs, guestBudget, ctx.spans);
    reportDropped(span, budget, guestBudget);
  }
}

/** Log fields for a failure: code, message and details (the caller has the error and its stack). */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as HlError;
  return { code: e?.code, detail: e?.message ?? String(err), ...(e?.details ?? {}) };
}
