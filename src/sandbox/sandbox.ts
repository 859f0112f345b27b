// sandbox.ts: the public Sandbox: create, list functions, call, kill,
// snapshot/restore, dispose. It owns the lifecycle, the call queue and the
// kill and poison bookkeeping (the guard around each piece of guest work);
// the other jobs live beside it: boot.ts (image to VM), call.ts (one call,
// arguments to result), exit-loop.ts (one run to the done-exit),
// host-calls.ts, guest-logs.ts, guest-spans.ts and call-context.ts (one
// call's state).
import * as abi from '../abi/constants';
import { readFunctionTable } from '../abi/function-table';
import type { FunctionSignature, JsValue } from '../abi/types';
import { type RawExit, type RawVm, addonError } from '../native';
import { ErrorCode, HlError, annotate, usage } from '../errors';
import { combineObservers, notify, type SandboxObserver } from './events';
import { metricsObserver } from '../observability/metrics';
import { HostLog, Level } from '../observability/logging';
import { type Span, startSpan } from '../observability/tracing';
import { SpanBudget, reportDropped } from '../observability/span-budget';
import { InterruptHandle } from './interrupt';
import { parseGuestImage, type GuestImage } from './elf';
import { computeLayout, type Layout } from './layout';
import { HostFrame } from './host-context';
import { CANCELLED, CallContext } from './call-context';
import { type ExitLoopEnv, runExitLoop } from './exit-loop';
import { type HostFunction, SANDBOX_TARGET, checkHostFunctions, serveHostCall } from './host-calls';
import { GuestLogBridge } from './guest-logs';
import { GuestSpans } from './guest-spans';
import { codeRanges, createVm, loadInto, readImage, snapshotRange, writePeb } from './boot';
import { lookupFunction } from './function-lookup';
import { SIGNALS, dumpCore, signalForVector } from './core-dump';
import { SymbolTable } from './symbols';
import { type CallHost, errorFields, runCall } from './call';
import type { CallOptions, SandboxOptions } from './options';

export type { HostFunction } from './host-calls';

export type { SandboxOptions, CallOptions } from './options';

const DEFAULT_SPIN_US = 100;
/** kill() waits this long for the vCPU to stop (measured: ~25-60 us). */
const KILL_SPIN_US = 200;
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
  /** The work running now (a call or the init), if any. */
  private ctx: CallContext | undefined;
  private readonly spinUs: number;
  private readonly logs: GuestLogBridge;
  private readonly guestSpans: GuestSpans;
  private readonly exits: ExitLoopEnv;
  /** What one call (call.ts) needs of this sandbox. */
  private readonly callHost: CallHost;
  /** The guest's file (its name goes into core dumps) and its bytes (symbols for profiles). */
  private guest = 'guest';
  private imageFile: Buffer = Buffer.alloc(0);
  private symbols: SymbolTable | undefined;

  private constructor(
    private readonly vm: RawVm,
    private readonly image: GuestImage,
    readonly layout: Layout,
    private readonly options: SandboxOptions,
    private readonly observer: SandboxObserver | undefined,
    hostFns: Map<string, HostFunction>,
  ) {
    this.spinUs = options.spinUs ?? DEFAULT_SPIN_US;
    this.logs = new GuestLogBridge((a, d) => vm.write(a, d), options, observer);
    this.guestSpans = new GuestSpans(vm, layout.trace);
    const hostCalls = {
      owner: this,
      functions: hostFns,
      replySize: layout.reply.size,
      observer,
      disposed: () => this.disposed,
      writeReply: (reply: Buffer) => vm.write(layout.reply.addr, reply),
    };
    this.exits = {
      vm: { resume: () => vm.run(this.spinUs), read: (a, n) => vm.read(a, n) },
      layout,
      code: codeRanges(image),
      handlers: {
        log: (kind, r, ctx) => this.logs.handle(kind, r, ctx),
        hostCall: (kind, r, ctx) => serveHostCall(hostCalls, kind, r, ctx),
      },
    };
    this.callHost = {
      vm,
      image,
      layout,
      spinUs: this.spinUs,
      observer,
      logs: this.logs,
      guestSpans: this.guestSpans,
      disposed: () => this.disposed,
      lookup: (name, argCount) => lookupFunction(this.byName, name, argCount),
      symbols: () => (this.symbols ??= SymbolTable.fromImage(this.imageFile)),
      guarded: (ctx, opts, body) => this.guarded(ctx, opts, body),
      drive: (ctx, first) => this.drive(ctx, first),
    };
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
        if (typeof guest === 'string') sandbox.guest = guest;
        sandbox.imageFile = bytes; // the segments hold slices of it already
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
    this.logs.sync();
    const initSpan = parent.child('guest_init', Level.trace, SANDBOX_TARGET);
    const budget = new SpanBudget(initSpan); // init's exits are the guest's choice too
    const ctx = new CallContext('guest init', [{ name: 'new', target: SANDBOX_TARGET }], budget);
    try {
      const fns = await this.guarded(ctx, this.options, async () => {
        const done = await this.drive(ctx, () => this.vm.run(this.spinUs, this.image.entry, this.layout.stackTop, abi.HL_PEB_ADDR));
        return readFunctionTable(done.reader, done.kind);
      });
      this.fnList = fns;
      this.byName = new Map(fns.map((f) => [f.name, f]));
      const snap = parent.child('snapshot', Level.trace, SANDBOX_TARGET);
      const range = snapshotRange(this.image, this.layout);
      try {
        this.vm.snapshot(range.addr, range.size); // restore() always has a state to return to: right after init
      } catch (err) {
        throw addonError('snapshot after init failed', err);
      }
      snap.end();
    } catch (err) {
      initSpan.recordError(err);
      throw err;
    } finally {
      reportDropped(initSpan, budget);
      initSpan.end();
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

  /** The signature of `name` checked against an argument count, as call() checks it
   * (UNKNOWN_FUNCTION or USAGE); `listAll` adds every name the guest has to the error. */
  lookup(name: string, argCount: number, listAll = false): FunctionSignature {
    return lookupFunction(this.byName, name, argCount, listAll);
  }

  /** True after a crash or cancellation, until restore(). */
  get poisoned(): boolean {
    return this.poison !== undefined;
  }

  /** Calls a guest function; arguments are checked against its signature. Calls on one sandbox run one at a time.
   * `R` narrows the result's type for a caller that knows the guest (unchecked; guestApi() types a whole guest). */
  call<R extends JsValue = JsValue>(name: string, args: unknown[] = [], options: CallOptions = {}): Promise<R> {
    const inside = HostFrame.insideOf(this);
    if (inside !== undefined) return Promise.reject(this.reentrant(`call ${name}`, inside));
    const gen = this.requested++;
    const run = this.queue.then(() => this.callNow(gen, name, args, options)).finally(() => (this.finished = gen + 1));
    this.queue = run.catch(() => undefined);
    return run as Promise<R>;
  }

  /** Cancels the current call, the oldest one not yet finished: it fails with
   * CANCELLED (and poisons the sandbox if the guest was running). With no call
   * in flight it does nothing, so it never cancels a later call. */
  kill(): void {
    if (this.disposed || this.finished === this.requested) return;
    this.killed = this.finished;
    this.vm.kill(KILL_SPIN_US);
    this.ctx?.cancel(); // a call waiting on a host function settles now
  }

  /** Writes an ELF core file of the guest as it is now, registers and memory,
   * to `file` (which must not exist); `gdb GUEST FILE` opens it. Returns `file`. */
  coreDump(file: string): string {
    return traced('core_dump', () => {
      this.checkUsable(false);
      try {
        return dumpCore({ vm: this.vm, image: this.image, layout: this.layout, guest: this.guest }, undefined, SIGNALS.SIGTRAP, { file });
      } catch (err) {
        throw usage(`cannot write the core dump ${file}: ${(err as Error).message}`, { file });
      }
    });
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
      const range = snapshotRange(this.image, this.layout);
      try {
        this.vm.snapshot(range.addr, range.size);
      } catch (err) {
        throw addonError('snapshot failed', err);
      }
    });
  }

  /** Returns to the last snapshot and clears a poisoned state. Cost grows with
   * the pages the guest wrote since (a 4 KiB copy each). Returns that count. */
  restore(): number {
    return traced('restore', (span) => {
      this.checkIdle('restore');
      let pages: number;
      try {
        pages = this.vm.restore();
      } catch (err) {
        throw addonError('restore failed', err);
      }
      span.setAttribute('pages', pages);
      if (log.enabled(Level.debug)) log.debug('sandbox restored', { pages, wasPoisoned: this.poison !== undefined });
      this.poison = undefined;
      return pages;
    });
  }

  /** Changes the lowest guest log level that leaves the VM; applies to the next call. */
  setGuestLogLevel(level: number | undefined): void {
    this.logs.setLevel(level);
  }

  /** Frees the VM. Idempotent; also happens when the sandbox is garbage collected or the process exits. */
  dispose(): void {
    if (this.disposed) return;
    traced('dispose', () => this.disposeNow());
  }

  private disposeNow(): void {
    this.disposed = true;
    this.vm.close(); // a running guest stops; its call fails with DISPOSED (guarded)
    this.ctx?.cancel(); // a call waiting on a host function settles now
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
      this.checkUsable();
      if (this.killed === gen) throw new HlError(ErrorCode.Cancelled, `${name} cancelled before it started`, { function: name });
      return await runCall(this.callHost, name, args, options, span);
    } catch (err) {
      span.recordError(err);
      throw err;
    } finally {
      span.end();
    }
  }

  /** Runs `body` as the current work under the timeout and signal, poisoning the sandbox on crash or cancellation. */
  private async guarded<T>(ctx: CallContext, options: CallOptions, body: () => Promise<T>): Promise<T> {
    const fn = ctx.fn;
    const signal = options.signal;
    if (signal?.aborted) throw new HlError(ErrorCode.Cancelled, `call to ${fn} cancelled before it started`);
    const onAbort = () => {
      this.vm.kill();
      ctx.cancel();
    };
    const timer = options.timeoutMs !== undefined ? setTimeout(onAbort, Math.max(0, options.timeoutMs)) : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    this.ctx = ctx;
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
      if (err instanceof HlError && this.options.coreDumpDir && DUMPED.has(err.code)) this.autoCoreDump(err, fn);
      throw err;
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      ctx.end();
      this.ctx = undefined;
    }
  }

  /** --core-dump: a core for a fault, abort or ABI violation, named in the error. */
  private autoCoreDump(err: HlError, fn: string): void {
    const signal = err.code === ErrorCode.GuestFault ? signalForVector(err.details.vector as number | undefined) : SIGNALS.SIGABRT;
    try {
      const file = dumpCore({ vm: this.vm, image: this.image, layout: this.layout, guest: this.guest }, fn, signal, { dir: this.options.coreDumpDir! });
      annotate(err, ` (core dump: ${file})`, { coreDump: file });
    } catch (e) {
      annotate(err, ` (no core dump: ${(e as Error).message})`, {});
    }
  }

  /** Drives the vCPU until the guest's done-exit (exit-loop.ts), then closes the call's guest logging. */
  private async drive(ctx: CallContext, first: () => RawExit | Promise<RawExit>) {
    try {
      return await runExitLoop(this.exits, first, ctx);
    } finally {
      this.logs.endCall(ctx, !this.disposed);
    }
  }
}

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


/** Tells observers about sandboxes that were garbage collected without dispose(). */
const collected = new FinalizationRegistry<SandboxObserver>((observer) => notify(observer, 'onDispose'));

/** Failures that leave a core with `coreDumpDir`. */
const DUMPED = new Set<string>([ErrorCode.GuestFault, ErrorCode.GuestAborted, ErrorCode.AbiViolation]);
/** Failures after which the guest's state is unknown: calls need restore(). */
const POISONING = new Set<string>([ErrorCode.Cancelled, ErrorCode.GuestFault, ErrorCode.GuestAborted, ErrorCode.AbiViolation, ErrorCode.Internal]);
