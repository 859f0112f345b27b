// sandbox.ts: a guest in its own micro-VM: create, list functions, call,
// snapshot/restore, dispose. The exit loop lives here (policy); the addon only
// runs the vCPU to the next exit.
import * as fs from 'node:fs';
import * as abi from '../abi/constants';
import { Reader, encodeCall, readMessage, violation, Writer } from '../abi/codec';
import { readFunctionTable } from '../abi/function-table';
import { type FunctionSignature, type JsValue, type ParamType, type ValueType, formatSignature, typeFromCode } from '../abi/types';
import { MapFlags, type RawExit, type RawVm, loadAddon } from '../native';
import { ErrorCode, GuestError, HlError, usage } from './errors';
import { combineObservers, notify, type SandboxObserver } from './events';
import { metricsObserver } from '../observability/metrics';
import { GUEST_TARGET, HostLog, Level, emit, guestMinLevel, levelFromGuest, loggingVersion } from '../observability/logging';
import type { SpanRef } from '../observability/log-filter';
import { type Span, noopSpan, nowMs, startSpan, wouldRecord } from '../observability/tracing';
import { decodeTraceBuffer } from '../abi/trace-records';
import { MAX_GUEST_SPANS_PER_CALL, SpanBudget, reportDropped } from '../observability/span-budget';
import { classifyFault } from './faults';
import { InterruptHandle } from './interrupt';
import { type GuestImage, parseGuestImage } from './elf';
import { computeLayout, type Layout, type MemoryOptions, type Region } from './layout';
import { checkValue } from './values';
import { DEFAULT_MAX_LOGS, DEFAULT_MAX_LOG_BYTES, LogBudget } from './log-budget';
import { hostFailure } from './host-errors';
import { HostFrame } from './host-context';

/** A function the host offers to guests. */
export interface HostFunction {
  name: string;
  params: ParamType[];
  returns: ValueType;
  fn: (...args: any[]) => unknown;
}

export interface SandboxOptions extends MemoryOptions {
  hostFunctions?: HostFunction[];
  observer?: SandboxObserver;
  /** Lowest guest log level that leaves the VM (0 trace .. 5 critical, 6 off).
   * Default: what the log filter enables for hyperlight_guest, or 0 when
   * `observer` has onGuestLog. */
  guestLogLevel?: number;
  /** How long the JS thread waits synchronously for a short guest run before
   * yielding to the event loop (microseconds, default 100; 0 always yields). */
  spinUs?: number;
  /** Log records one call may send (default 10,000). Past it, the guest's
   * logging is switched off until the call ends, so a flood costs nothing. */
  maxGuestLogsPerCall?: number;
  /** Bytes of log text (message + file) one call may send (default 1 MiB);
   * a record that would pass it is dropped and logging is switched off as above. */
  maxGuestLogBytesPerCall?: number;
  /** Records the guest and host function call duration histograms (off by default). */
  functionCallMetrics?: boolean;
  /** Bounds guest initialisation (milliseconds). */
  timeoutMs?: number;
  /** Accept an image with a writable and executable segment (off: such an image is INVALID_GUEST). */
  allowWriteExecute?: boolean;
  signal?: AbortSignal;
}

export interface CallOptions {
  /** Cancels the call after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

const MAX_LOG_FILE_LEN = 4096;
const DEFAULT_SPIN_US = 100;
const MAX_HOST_ERROR_LOGS = 10;
/** `vm exit` trace records per call: the guest chooses how many exits a call makes. */
const MAX_EXIT_LOGS = 1024;
/** kill() waits this long for the vCPU to stop (measured: ~25-60 us). */
const KILL_SPIN_US = 200;
const MAX_IMAGE_FILE = 256 * 1024 * 1024;
const now = () => process.hrtime.bigint();
const micros = (start: bigint) => Number(now() - start) / 1000;

export class Sandbox {
  private queue: Promise<unknown> = Promise.resolve();
  private poison: HlError | undefined;
  private disposed = false;
  /** Calls requested, calls finished, and the call kill() aimed at (generation numbers). */
  private requested = 0;
  private finished = 0;
  private killed = -1;
  private byName = new Map<string, FunctionSignature>();
  private fnList: readonly FunctionSignature[] = [];
  /** The span vCPU runs and host calls of the current work attach to. */
  private traceParent: Span = NOOP_PARENT;
  private readonly hostFns: Map<string, HostFunction>;
  private readonly spinUs: number;
  /** The guest log level in the PEB, the embedder's override, and the logging config it came from. */
  private appliedLevel = -1;
  private explicitLevel: number | undefined;
  private appliedVersion = -1;
  /** The spans the current work is inside, outermost first (for [span] log directives). */
  private spans: SpanRef[] = [];
  /** This call's guest logging (created at its first record). */
  private logBudget: LogBudget | undefined;
  private hostErrorsThisCall = 0;
  private exitLogsThisCall = 0;
  /** Rejects when the current call is cancelled, so a host function that never settles cannot hold it. */
  private cancelled: Promise<never> | undefined;
  private cancelCall: (() => void) | undefined;

  private constructor(
    private readonly vm: RawVm,
    private readonly image: GuestImage,
    readonly layout: Layout,
    private readonly options: SandboxOptions,
    private readonly observer: SandboxObserver | undefined,
    hostFns: Map<string, HostFunction>,
  ) {
    this.spinUs = options.spinUs ?? DEFAULT_SPIN_US;
    this.hostFns = hostFns;
  }

  /** Loads a guest from a path or its bytes, boots it and reads its function table. */
  static async create(guest: string | Uint8Array, options: SandboxOptions = {}): Promise<Sandbox> {
    const start = now();
    const span = startSpan('new', Level.info, SANDBOX_TARGET, { guest: typeof guest === 'string' ? guest : '(bytes)' });
    try {
      const loading = span.child('load_image', Level.trace, SANDBOX_TARGET);
      const bytes = typeof guest === 'string' ? readImage(guest) : Buffer.from(guest.buffer, guest.byteOffset, guest.byteLength);
      const image = parseGuestImage(bytes, { allowWriteExecute: options.allowWriteExecute === true });
      loading.setAttribute('bytes', bytes.length);
      loading.end();
      const layout = computeLayout(image.end, options);
      const hostFns = checkHostFunctions(options.hostFunctions ?? []);
      const observer = combineObservers(options.observer, metricsObserver(options.functionCallMetrics ?? false, new Set(hostFns.keys())));
      const setup = span.child('setup_memory', Level.trace, SANDBOX_TARGET, { mem_size: layout.memSize });
      const vm = createVm(layout.memSize);
      try {
        loadInto(vm, image, layout);
        writePeb(vm, layout);
        setup.end();
        const sandbox = new Sandbox(vm, image, layout, options, observer, hostFns);
        await sandbox.init(span);
        notify(observer, 'onCreate', { durationUs: micros(start), memSize: layout.memSize });
        if (log.enabled(Level.debug)) log.debug('sandbox created', { memSize: layout.memSize, functions: sandbox.functions.length, durationUs: Math.round(micros(start)) });
        if (observer?.onDispose) collected.register(sandbox, observer, sandbox);
        span.setAttribute('functions', sandbox.functions.length);
        return sandbox;
      } catch (err) {
        vm.close();
        throw err;
      }
    } catch (err) {
      span.recordError(err);
      if (log.enabled(Level.debug)) log.debug('sandbox creation failed', errorFields(err), [{ name: 'new', target: SANDBOX_TARGET }]);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Runs the guest's init (bounded by the create options) and reads its function table. */
  private async init(parent: Span): Promise<void> {
    this.explicitLevel = this.options.guestLogLevel;
    this.spans = [{ name: 'new', target: SANDBOX_TARGET }];
    this.syncGuestLevel();
    const initSpan = parent.child('guest_init', Level.trace, SANDBOX_TARGET);
    const budget = new SpanBudget(initSpan); // init's exits are the guest's choice too
    this.traceParent = budget;
    try {
      const fns = await this.guarded('guest init', this.options, async () => {
        const done = await this.drive(() => this.vm.run(this.spinUs, this.image.entry, this.layout.stackTop, abi.HL_PEB_ADDR), 'guest init');
        return readFunctionTable(done.reader, done.kind);
      });
      this.fnList = fns;
      this.byName = new Map(fns.map((f) => [f.name, f]));
      const snap = parent.child('snapshot', Level.trace, SANDBOX_TARGET);
      const range = this.snapshotRange();
      this.vm.snapshot(range.addr, range.size); // restore() always has a state to return to: right after init
      snap.end();
    } catch (err) {
      initSpan.recordError(err);
      throw err;
    } finally {
      reportDropped(initSpan, budget);
      initSpan.end();
      this.traceParent = NOOP_PARENT;
    }
  }

  /** The functions the guest registered, in registration order. */
  get functions(): readonly FunctionSignature[] {
    return this.fnList;
  }

  /** The signature of a guest function, if the guest has it. */
  signature(name: string): FunctionSignature | undefined {
    return this.byName.get(name);
  }

  /** True after a crash or cancellation, until restore(). */
  get poisoned(): boolean {
    return this.poison !== undefined;
  }

  /** Calls a guest function; arguments are checked against its signature. Calls on one sandbox run one at a time. */
  call(name: string, args: unknown[] = [], options: CallOptions = {}): Promise<JsValue> {
    const inside = HostFrame.insideOf(this);
    if (inside !== undefined) return Promise.reject(this.reentrant(`call ${name}`, inside));
    const gen = this.requested++;
    const run = this.queue.then(() => this.callNow(gen, name, args, options)).finally(() => (this.finished = gen + 1));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Cancels the current call, the oldest one not yet finished: it fails with
   * CANCELLED (and poisons the sandbox if the guest was running). With no call
   * in flight it does nothing, so it never cancels a later call. */
  kill(): void {
    if (this.disposed || this.finished === this.requested) return;
    this.killed = this.finished;
    this.vm.kill(KILL_SPIN_US);
    this.cancelCall?.(); // a call waiting on a host function settles now
  }

  /** Counters of this sandbox: VM exits so far (each costs ~20 us on these machines). */
  stats(): { vmExits: number } {
    this.checkUsable(false);
    return { vmExits: this.vm.exitCount() };
  }

  /** A kill handle for other threads (workers): see InterruptHandle. */
  interruptHandle(): InterruptHandle {
    this.checkUsable(false);
    return InterruptHandle.fromId(this.vm.id());
  }

  /** Saves the guest's memory (globals, heap) so restore() can return to this
   * point. create() takes the first snapshot right after the guest's init. */
  snapshot(): void {
    traced('snapshot', () => {
      this.checkIdle('snapshot');
      const range = this.snapshotRange();
      this.vm.snapshot(range.addr, range.size);
    });
  }

  /** Returns to the last snapshot and clears a poisoned state. Cost grows with
   * the pages the guest wrote since (a 4 KiB copy each). Returns that count. */
  restore(): number {
    return traced('restore', (span) => {
      this.checkIdle('restore');
      const pages = this.vm.restore();
      span.setAttribute('pages', pages);
      if (log.enabled(Level.debug)) log.debug('sandbox restored', { pages, wasPoisoned: this.poison !== undefined });
      this.poison = undefined;
      return pages;
    });
  }

  /** Changes the lowest guest log level that leaves the VM; applies to the next call. */
  setGuestLogLevel(level: number | undefined): void {
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > abi.HL_LOG_OFF)) throw usage('guest log level must be 0..6');
    this.explicitLevel = level;
    this.appliedVersion = -1;
    this.syncGuestLevel();
  }

  /** Puts the lowest wanted guest level in the PEB: the embedder's, or what the log filter and observers want. */
  private syncGuestLevel(): void {
    if (this.appliedVersion === loggingVersion()) return;
    // The embedder's own observer may want every record; hl's metrics only count those that leave the guest.
    const level = this.explicitLevel ?? Math.min(guestMinLevel(), this.options.observer?.onGuestLog ? abi.HL_LOG_TRACE : abi.HL_LOG_OFF);
    this.appliedVersion = loggingVersion();
    if (level !== this.appliedLevel) this.writeLogLevel(level);
    this.appliedLevel = level;
  }

  private writeLogLevel(level: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(level);
    this.vm.write(abi.HL_PEB_ADDR + abi.HlPebOffsets.max_log_level, b);
  }

  /** Frees the VM. Idempotent; also happens when the sandbox is garbage collected or the process exits. */
  dispose(): void {
    if (this.disposed) return;
    traced('dispose', () => this.disposeNow());
  }

  private disposeNow(): void {
    this.disposed = true;
    this.vm.close(); // a running guest stops; its call fails with DISPOSED (guarded)
    this.cancelCall?.(); // a call waiting on a host function settles now
    collected.unregister(this);
    notify(this.observer, 'onDispose');
    log.debug('sandbox disposed');
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  private checkIdle(what: string): void {
    this.checkUsable(false);
    const inside = HostFrame.insideOf(this);
    if (inside !== undefined) throw this.reentrant(what, inside);
    if (this.finished !== this.requested) throw usage(`cannot ${what} while a call is in flight; await it first`);
  }

  /** A call, snapshot or restore from inside one of this sandbox's running host functions
   * (directly, after an await, or via another sandbox) would wait for the call waiting for it. */
  private reentrant(what: string, fn: string): HlError {
    return new HlError(ErrorCode.Reentrant, `cannot ${what} from inside host function ${fn}: the guest of this sandbox is waiting for that host function to return`, { function: fn });
  }

  private checkUsable(checkPoison = true): void {
    if (this.disposed) throw new HlError(ErrorCode.Disposed, 'the sandbox was disposed');
    if (checkPoison && this.poison) {
      throw new HlError(ErrorCode.Poisoned, `the sandbox is poisoned by an earlier failure (${this.poison.message}); restore() it to call again`, { cause: this.poison.code });
    }
  }

  private async callNow(gen: number, name: string, args: unknown[], options: CallOptions): Promise<JsValue> {
    const span = startSpan('call', Level.info, SANDBOX_TARGET, { function_name: name });
    try {
      return await this.callTraced(gen, name, args, options, span);
    } catch (err) {
      span.recordError(err);
      throw err;
    } finally {
      span.end();
    }
  }

  private async callTraced(gen: number, name: string, args: unknown[], options: CallOptions, span: Span): Promise<JsValue> {
    this.checkUsable();
    if (this.killed === gen) throw new HlError(ErrorCode.Cancelled, `${name} cancelled before it started`, { function: name });
    const sig = this.byName.get(name);
    if (!sig) throw new HlError(ErrorCode.UnknownFunction, `the guest has no function "${name}"${suggest(name, [...this.byName.keys()])}`);
    if (args.length !== sig.params.length) {
      throw usage(`${formatSignature(sig)} takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, got ${args.length}`);
    }
    const typed = sig.params.map((type, i) => ({ type, value: checkValue(type, args[i], `argument ${i + 1} of ${name}`) }));
    const msg = encodeCall(this.layout.input.size, name, typed);
    this.vm.write(this.layout.input.addr, msg);
    const obs = this.observer;
    this.syncGuestLevel();
    this.spans = [{ name: 'call', target: SANDBOX_TARGET, fields: { function_name: name } }];
    const budget = new SpanBudget(span);
    this.traceParent = budget;
    const guestSpans = span.recording && wouldRecord(GUEST_TARGET, Level.info);
    this.setGuestTracing(guestSpans);
    const entryMs = nowMs();
    notify(obs, 'onCallStart', { fn: name });
    const start = now();
    try {
      const result = await this.guarded(name, options, async () => {
        const done = await this.drive(() => this.vm.run(this.spinUs, this.image.dispatch, this.layout.stackTop, abi.HL_PEB_ADDR), name);
        return readResult(done.kind, done.reader, sig);
      });
      notify(obs, 'onCallEnd', { fn: name, durationUs: micros(start) });
      return result;
    } catch (err) {
      const e = err instanceof HlError ? err : new HlError(ErrorCode.Internal, String((err as Error)?.message ?? err), {}, { cause: err });
      if (e instanceof GuestError) notify(obs, 'onGuestError', { fn: name, code: e.guestCode, message: e.guestMessage });
      // The caller gets the error; the log has the details (debug), or says it loud when hl itself failed.
      if (log.enabled(e.code === ErrorCode.Internal ? Level.error : Level.debug, this.spans))
        log.log(e.code === ErrorCode.Internal ? Level.error : Level.debug, `call to ${name} failed`, errorFields(e), this.spans);
      notify(obs, 'onCallEnd', { fn: name, durationUs: micros(start), error: e });
      throw e;
    } finally {
      const guestBudget = new SpanBudget(span, MAX_GUEST_SPANS_PER_CALL);
      if (guestSpans && !this.disposed) this.collectGuestSpans(span, entryMs, guestBudget);
      reportDropped(span, budget, guestBudget);
      this.traceParent = NOOP_PARENT;
    }
  }

  private guestTracing = false;
  private tscKhz: number | undefined;

  private setGuestTracing(on: boolean): void {
    if (on === this.guestTracing) return;
    const b = Buffer.alloc(4);
    b.writeUInt32LE(on ? 1 : 0);
    this.vm.write(abi.HL_PEB_ADDR + abi.HlPebOffsets.trace_enabled, b);
    this.guestTracing = on;
  }

  /** Turns the guest's span records of this call into child spans of `call`. */
  private collectGuestSpans(call: Span, entryMs: number, budget: SpanBudget): void {
    const t = this.layout.trace;
    const head = this.vm.read(t.addr, abi.HlTraceHeaderSize);
    const used = head.readUInt32LE(abi.HlTraceHeaderOffsets.used);
    if (used > t.size - abi.HlTraceHeaderSize) {
      log.warn('guest trace buffer claims more than it holds; guest spans dropped', { used }, this.spans);
      return;
    }
    const buf = decodeTraceBuffer(head, this.vm.read(t.addr + abi.HlTraceHeaderSize, used));
    if (buf.malformed) log.warn(`malformed guest trace records (${buf.malformed}); later ones dropped`, {}, this.spans);
    if (buf.dropped) call.setAttribute('guest.spans_dropped', buf.dropped);
    if (buf.records.length === 0) return;
    this.tscKhz ??= this.vm.tscKhz();
    const endMs = nowMs();
    // The guest stamps its TSC at entry; KVM_GET_TSC_KHZ gives the rate.
    const at = (tsc: bigint) => {
      const ms = this.tscKhz ? entryMs + Number(tsc - buf.startTsc) / this.tscKhz : entryMs;
      return Math.min(endMs, Math.max(entryMs, ms));
    };
    const open = new Map<number, Span>();
    for (const r of buf.records) {
      if (r.kind === abi.HL_TRACE_BEGIN) {
        if (open.has(r.span) || !budget.take()) continue;
        open.set(r.span, (open.get(r.parent) ?? call).child(r.name || '(unnamed)', Level.info, GUEST_TARGET, {}, at(r.tsc)));
      } else {
        const s = open.get(r.span);
        if (!s) continue;
        if (r.kind === abi.HL_TRACE_END) {
          s.end(at(r.tsc));
          open.delete(r.span);
        }
        else if (r.kind === abi.HL_TRACE_EVENT) s.addEvent(r.name, undefined, at(r.tsc));
        else if (r.kind === abi.HL_TRACE_ATTR) s.setAttribute(r.name, r.value ?? '');
      }
    }
    for (const s of open.values()) {
      s.setAttribute('hl.unclosed', true); // ended by the call's end (a crash, or a missing hl_span_end)
      s.end(endMs);
    }
  }

  /** Runs `body` under the timeout and signal, poisoning the sandbox on crash or cancellation. */
  private async guarded<T>(fn: string, options: CallOptions, body: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const signal = options.signal;
    this.cancelled = new Promise<never>((_, reject) => (this.cancelCall = () => reject(CANCELLED)));
    this.cancelled.catch(() => undefined); // only awaited while a host function runs
    const onAbort = () => {
      this.vm.kill();
      this.cancelCall?.();
    };
    if (signal?.aborted) throw new HlError(ErrorCode.Cancelled, `call to ${fn} cancelled before it started`);
    if (options.timeoutMs !== undefined) timer = setTimeout(onAbort, Math.max(0, options.timeoutMs));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await body();
    } catch (err) {
      if (this.disposed) throw new HlError(ErrorCode.Disposed, `${fn} ended: the sandbox was disposed during the call`, { function: fn });
      if (err === CANCELLED) {
        notify(this.observer, 'onCancel', { fn });
        const reason = signal?.aborted && signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
        const why = options.timeoutMs !== undefined && !signal?.aborted ? `: timed out after ${options.timeoutMs} ms` : reason;
        err = new HlError(ErrorCode.Cancelled, `${fn} cancelled${why}`, { function: fn });
      }
      if (err instanceof HlError && POISONING.has(err.code)) this.poison = err;
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.cancelled = undefined;
      this.cancelCall = undefined;
    }
  }

  /** Drives the vCPU until the guest's done-exit, serving host calls and logs on the way. */
  private async drive(first: () => RawExit | Promise<RawExit>, fn: string): Promise<{ kind: number; reader: Reader }> {
    try {
      return await this.driveExits(first, fn);
    } finally {
      const logs = this.logBudget;
      this.logBudget = undefined;
      if (logs?.capped) this.reportLogCap(logs);
      this.hostErrorsThisCall = 0;
      this.exitLogsThisCall = 0;
    }
  }

  private async driveExits(first: () => RawExit | Promise<RawExit>, fn: string): Promise<{ kind: number; reader: Reader }> {
    let run = first;
    for (;;) {
      const runSpan = this.traceParent.child('vcpu_run', Level.trace, VM_TARGET);
      const exit = await run();
      if (runSpan.recording) {
        runSpan.setAttribute('exit', exitName(exit));
        runSpan.end();
      }
      if (this.exitLogsThisCall < MAX_EXIT_LOGS && vmLog.enabled(Level.trace, this.spans)) {
        const more = ++this.exitLogsThisCall === MAX_EXIT_LOGS ? ' (further exits in this call are not logged)' : '';
        vmLog.trace(`vm exit${more}`, exitFields(exit), this.spans);
      }
      if (exit.kind === 'cancelled') throw CANCELLED; // guarded() builds the one error, with the reason
      if (exit.kind === 'fault') throw classifyFault(exit, this.layout, fn, this.codeAt(exit.rip));
      if (exit.kind === 'error') throw new HlError(ErrorCode.Internal, `KVM failed during ${fn}: ${exit.reason}${exit.errno ? ` (errno ${exit.errno})` : ''}`);
      const msg = this.readGuestMessage(this.layout.output);
      switch (exit.port) {
        case abi.HL_PORT_DONE:
          return msg;
        case abi.HL_PORT_LOG:
          this.handleLog(msg.kind, msg.reader);
          break;
        case abi.HL_PORT_HOSTCALL:
          await this.handleHostCall(msg.kind, msg.reader);
          break;
        case abi.HL_PORT_ABORT: {
          if (msg.kind !== abi.HL_MSG_ABORT) throw violation(`message kind ${msg.kind} on the abort port`);
          const code = msg.reader.i32();
          msg.reader.reserved();
          const text = msg.reader.string().slice(0, abi.HL_MAX_ERROR_MSG_LEN);
          msg.reader.end('the abort message');
          throw new HlError(ErrorCode.GuestAborted, `guest aborted in ${fn} with code ${code}: ${text}`, { guestCode: code, guestMessage: text, function: fn });
        }
        default:
          throw violation(`write to port 0x${exit.port.toString(16)}`);
      }
      run = () => this.vm.run(this.spinUs);
    }
  }

  /** Up to 16 bytes of guest memory at `rip`, if it lies in an executable segment. */
  private codeAt(rip: bigint): Uint8Array | undefined {
    const a = Number(rip);
    const seg = this.image.segments.find((s) => s.exec && a >= s.vaddr && a < s.vaddr + s.memsz);
    return seg ? this.vm.read(a, Math.min(16, seg.vaddr + seg.memsz - a)) : undefined;
  }

  private readGuestMessage(r: Region): { kind: number; reader: Reader } {
    const head = this.vm.read(r.addr, abi.HlMsgSize);
    const len = head.readUInt32LE(abi.HlMsgOffsets.len);
    if (len > r.size - abi.HlMsgSize) throw violation(`message length ${len} runs past the ${r.size}-byte output buffer`);
    return readMessage(this.vm.read(r.addr, abi.HlMsgSize + len));
  }

  private handleLog(kind: number, r: Reader): void {
    if (kind !== abi.HL_MSG_LOG) throw violation(`message kind ${kind} on the log port`);
    const level = r.u32();
    const line = r.u32();
    const message = r.string();
    const file = r.string(MAX_LOG_FILE_LEN);
    r.end('a log record');
    if (level > abi.HL_LOG_CRITICAL) throw violation(`log level ${level}`);
    const budget = (this.logBudget ??= new LogBudget(this.options.maxGuestLogsPerCall ?? DEFAULT_MAX_LOGS, this.options.maxGuestLogBytesPerCall ?? DEFAULT_MAX_LOG_BYTES));
    const wasCapped = budget.capped;
    // Past a cap a guest built with the SDK stops sending; one that ignores the PEB is dropped here.
    if (budget.take(Buffer.byteLength(message) + Buffer.byteLength(file))) {
      notify(this.observer, 'onGuestLog', { level, message, file, line });
      emit(GUEST_TARGET, levelFromGuest(level), message, level === abi.HL_LOG_CRITICAL ? { file, line, critical: true } : { file, line }, this.spans);
    }
    if (!wasCapped && budget.capped) {
      this.writeLogLevel(abi.HL_LOG_OFF); // the rest of this call's records stay in the guest
      notify(this.observer, 'onGuestLogsCapped', { limit: budget.maxRecords, limitBytes: budget.maxBytes, reason: budget.capped });
    }
  }

  /** At the end of a capped call: the guest's level back, and one record saying what was dropped. */
  private reportLogCap(b: LogBudget): void {
    if (!this.disposed) this.writeLogLevel(this.appliedLevel);
    const fields = { limit: b.maxRecords, limit_bytes: b.maxBytes, delivered_records: b.records, delivered_bytes: b.bytes, dropped_records: b.droppedRecords, dropped_bytes: b.droppedBytes };
    log.warn(`guest log output capped for this call at its ${b.capped} limit; later records were dropped (those an SDK guest kept are not counted)`, fields, this.spans);
  }

  private async handleHostCall(kind: number, r: Reader): Promise<void> {
    if (kind !== abi.HL_MSG_HOSTCALL) throw violation(`message kind ${kind} on the host-call port`);
    const argc = r.u32();
    const retCode = r.u32();
    const name = r.string(abi.HL_MAX_NAME_LEN);
    if (argc > abi.HL_MAX_ARGS) throw violation(`host call with ${argc} arguments`);
    const args = Array.from({ length: argc }, () => r.value());
    r.end(`the arguments of host function ${name}`);
    const ret = typeFromCode(retCode);
    const start = now();
    const hostSpan = this.traceParent.child('host_function', Level.trace, SANDBOX_TARGET, { function_name: name });
    const w = new Writer(this.layout.reply.size, `the reply of host function ${name}`);
    let reply: Buffer;
    let error: Error | undefined;
    try {
      const hf = this.hostFns.get(name);
      if (!hf) throw new HlError(ErrorCode.HostFunction, `unknown host function "${name}"`);
      if (ret !== hf.returns) throw new HlError(ErrorCode.HostFunction, `host function ${name} returns ${hf.returns}, the guest expected ${ret ?? retCode}`);
      if (args.length !== hf.params.length || args.some((a, i) => a.type !== hf.params[i])) {
        throw new HlError(ErrorCode.HostFunction, `host function ${name}(${hf.params.join(', ')}) called with (${args.map((a) => a.type).join(', ')})`);
      }
      // The frame marks the host function, across its awaits, as running inside this call until it settles or the call ends.
      const frame = HostFrame.enter(this, name);
      let result: unknown;
      try {
        const pending = frame.run(() => Promise.resolve(hf.fn(...args.map((a) => a.value))));
        result = this.cancelled ? await Promise.race([pending, this.cancelled]) : await pending;
      } finally {
        frame.end();
      }
      const value = checkValue(hf.returns, result, `the result of host function ${name}`);
      reply = w.value(hf.returns, value).finish(abi.HL_MSG_RESULT);
    } catch (err) {
      if (err === CANCELLED) {
        hostSpan.setAttribute('hl.cancelled', true);
        hostSpan.end();
        throw err; // the call is over, not the host function's failure
      }
      const failure = hostFailure(name, err, abi.HL_MAX_ERROR_MSG_LEN);
      error = failure.error;
      const text = failure.text;
      reply = new Writer(this.layout.reply.size, 'a host error').u32(abi.HL_ERR_HOST_FUNCTION).u32(0).value('string', text).finish(abi.HL_MSG_ERROR);
    }
    if (error) hostSpan.recordError(error);
    hostSpan.end();
    notify(this.observer, 'onHostCall', { fn: name, durationUs: micros(start), error });
    // The guest's own mistake (no such function, wrong types) is the guest's error to report: debug.
    // The embedder's function throwing is news to no one else: error.
    const level = error instanceof HlError && error.code === ErrorCode.HostFunction ? Level.debug : Level.error;
    if (error && ++this.hostErrorsThisCall <= MAX_HOST_ERROR_LOGS && log.enabled(level, this.spans)) {
      const more = this.hostErrorsThisCall === MAX_HOST_ERROR_LOGS ? ' (further host function failures in this call are not logged)' : '';
      log.log(level, `host function ${name} failed; the guest gets the error${more}`, { detail: String(error.message ?? error) }, this.spans);
    }
    if (this.disposed) throw CANCELLED; // disposed by the host function: guarded() reports DISPOSED
    this.vm.write(this.layout.reply.addr, reply);
  }

  /** Image data, heap, buffers and stack: everything the guest can write. Restoring
   * the buffers and stack too means no state survives a restore. */
  private snapshotRange(): Region {
    const writable = this.image.segments.filter((s) => s.write);
    const from = writable.length ? Math.floor(writable[0].vaddr / abi.HL_PAGE_SIZE) * abi.HL_PAGE_SIZE : this.layout.heap.addr;
    return { addr: from, size: this.layout.stackTop - from };
  }
}

/** Reads the result message of a call: a value of the declared type, or a guest error. */
function readResult(kind: number, r: Reader, sig: FunctionSignature): JsValue {
  if (kind === abi.HL_MSG_ERROR) {
    const code = r.i32();
    r.reserved();
    const text = r.string().slice(0, abi.HL_MAX_ERROR_MSG_LEN);
    r.end(`the error of ${sig.name}`);
    throw new GuestError(code, text, sig.name);
  }
  if (kind !== abi.HL_MSG_RESULT) throw violation(`message kind ${kind} where a result was expected`);
  const v = r.value();
  r.end(`the result of ${sig.name}`);
  if (v.type !== sig.returns) throw violation(`${sig.name} returned a ${v.type}, but declares ${sig.returns}`);
  return v.value;
}

const SANDBOX_TARGET = 'hyperlight_host::sandbox';
const VM_TARGET = 'hyperlight_host::vm';
const NOOP_PARENT = noopSpan;

/** Runs a synchronous public API call inside its info-level span. */
function traced<T>(name: string, body: (span: Span) => T): T {
  const span = startSpan(name, Level.info, SANDBOX_TARGET);
  try {
    return body(span);
  } catch (err) {
    span.recordError(err);
    throw err;
  } finally {
    span.end();
  }
}
const log = new HostLog('sandbox');
const vmLog = new HostLog('vm');

const PORT_NAMES: Record<number, string> = { [abi.HL_PORT_DONE]: 'done', [abi.HL_PORT_HOSTCALL]: 'host_call', [abi.HL_PORT_LOG]: 'log', [abi.HL_PORT_ABORT]: 'abort' };

function exitName(exit: RawExit): string {
  return exit.kind === 'io' ? PORT_NAMES[exit.port] ?? `port 0x${exit.port.toString(16)}` : exit.kind;
}

function exitFields(exit: RawExit): Record<string, unknown> {
  return exit.kind === 'io' ? { exit: exitName(exit) } : { exit: exit.kind, reason: exit.reason };
}

/** Log fields for a failure: code, message and details (the caller has the error and its stack). */
function errorFields(err: unknown): Record<string, unknown> {
  const e = err as HlError;
  return { code: e?.code, detail: e?.message ?? String(err), ...(e?.details ?? {}) };
}

/** Tells observers about sandboxes that were garbage collected without dispose(). */
const collected = new FinalizationRegistry<SandboxObserver>((observer) => notify(observer, 'onDispose'));

/** Thrown inside the exit loop on cancellation; not an Error, so no stack trace is captured twice. */
const CANCELLED = Symbol('cancelled');

/** Failures after which the guest's state is unknown: calls need restore(). */
const POISONING = new Set<string>([ErrorCode.Cancelled, ErrorCode.GuestFault, ErrorCode.GuestAborted, ErrorCode.AbiViolation, ErrorCode.Internal]);

/** Reads the image synchronously: for a file of a few KiB this takes ~40 us,
 * where fs.promises.readFile takes ~300 us on these machines. */
function readImage(file: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: it is a directory`);
    // A device or FIFO (/dev/zero, a pipe) could be endless: guests are files.
    if (!st.isFile()) throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: not a regular file`);
    if (st.size > MAX_IMAGE_FILE) throw new HlError(ErrorCode.InvalidGuest, `not a valid hl guest: ${file} is ${st.size} bytes, more than any guest image`);
    return fs.readFileSync(file);
  } catch (err) {
    if (err instanceof HlError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: ${why}`, {}, { cause: err });
  }
}

function createVm(memSize: number): RawVm {
  try {
    return new (loadAddon().Vm)(memSize);
  } catch (err) {
    if (err instanceof HlError) throw err;
    const e = err as Error & { code?: string };
    if (e.code === 'KVM_UNAVAILABLE') throw new HlError(ErrorCode.KvmUnavailable, `KVM is not usable: ${e.message} (run "hl doctor")`, {}, { cause: err });
    throw new HlError(ErrorCode.Internal, `cannot create the VM: ${e.message}`, {}, { cause: err });
  }
}

function loadInto(vm: RawVm, image: GuestImage, layout: Layout): void {
  const page = abi.HL_PAGE_SIZE;
  vm.mapRange(abi.HL_PEB_ADDR, page, MapFlags.User);
  for (const s of image.segments) {
    const from = Math.floor(s.vaddr / page) * page;
    const to = Math.ceil((s.vaddr + s.memsz) / page) * page;
    vm.mapRange(from, to - from, MapFlags.User | (s.write ? MapFlags.Write : 0) | (s.exec ? MapFlags.Exec : 0));
    vm.write(s.vaddr, s.data);
  }
  const rw = MapFlags.User | MapFlags.Write;
  for (const r of [layout.input, layout.output, layout.reply, layout.trace, layout.heap, layout.stack]) vm.mapRange(r.addr, r.size, rw);
}

function writePeb(vm: RawVm, layout: Layout): void {
  const o = abi.HlPebOffsets;
  const b = Buffer.alloc(abi.HlPebSize);
  b.writeBigUInt64LE(abi.HL_GUEST_MAGIC, o.magic);
  b.writeUInt32LE(abi.HL_ABI_VERSION, o.abi_version);
  b.writeUInt32LE(abi.HL_LOG_OFF, o.max_log_level); // syncGuestLevel() sets the real one
  const put = (off: number, v: number) => b.writeBigUInt64LE(BigInt(v), off);
  put(o.input_addr, layout.input.addr);
  put(o.input_size, layout.input.size);
  put(o.output_addr, layout.output.addr);
  put(o.output_size, layout.output.size);
  put(o.reply_addr, layout.reply.addr);
  put(o.reply_size, layout.reply.size);
  put(o.heap_addr, layout.heap.addr);
  put(o.heap_size, layout.heap.size);
  put(o.stack_top, layout.stackTop);
  put(o.stack_size, layout.stack.size);
  put(o.trace_addr, layout.trace.addr);
  put(o.trace_size, layout.trace.size);
  b.writeUInt32LE(0, o.trace_enabled); // set per call, while a consumer records guest spans
  vm.write(abi.HL_PEB_ADDR, b);
}

function checkHostFunctions(list: HostFunction[]): Map<string, HostFunction> {
  const m = new Map<string, HostFunction>();
  for (const f of list) {
    if (!f || typeof f.name !== 'string' || f.name.length === 0 || f.name.length > abi.HL_MAX_NAME_LEN) throw usage('host function names must be 1-255 characters');
    if (typeof f.fn !== 'function') throw usage(`host function ${f.name} has no fn`);
    if (!Array.isArray(f.params) || f.params.length > abi.HL_MAX_ARGS) throw usage(`host function ${f.name}: params must be an array of at most ${abi.HL_MAX_ARGS} types`);
    m.set(f.name, f);
  }
  return m;
}

/** " (did you mean X?)" for a near miss, else "". */
export function suggest(name: string, candidates: string[]): string {
  const lower = name.toLowerCase();
  const hit = candidates.find((c) => c.toLowerCase() === lower) ?? candidates.find((c) => distance(c.toLowerCase(), lower) <= 2);
  return hit ? ` (did you mean "${hit}"?)` : '';
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0];
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j];
      d[j] = Math.min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length];
}
