// debug-call.ts: one guest call under gdb (CallOptions.gdb). Builds the
// stub's view of the sandbox (registers, and memory limited to the guest's
// own regions: never the page tables, GDT, IDT or the stubs' pages, so the
// sandbox's guarantees hold with a debugger attached), starts the call
// stopped at its entry, and turns debug exits into stops.
import * as abi from '../abi/constants';
import type { GuestRegisters, RawExit, RawVm } from '../native';
import { ErrorCode, HlError } from '../errors';
import { coreRegions, signalForVector } from './core-dump';
import { GdbStub } from './gdb-stub';
import type { Layout } from './layout';
import type { GuestImage } from './elf';

export interface GdbOptions {
  /** Port to listen on (0: any free port; `onListening` says which). */
  port: number;
  /** Default 127.0.0.1: the stub gives full control of the guest. */
  host?: string;
  /** Told the address once the stub listens, before the call waits for gdb. */
  onListening?(address: { host: string; port: number }): void;
}

export interface DebugCall {
  /** The call's first run: waits for gdb, which may step or continue. */
  first(): Promise<RawExit>;
  /** A fault or paused exit: true if it was a breakpoint, a step or gdb's
   * interrupt, and the guest may resume. */
  onStop(exit: RawExit): Promise<boolean>;
  /** The call ended, with this error if it failed. */
  finish(err: unknown): void;
}

export async function startDebugCall(vm: RawVm, image: GuestImage, layout: Layout, spinUs: number, opts: GdbOptions, cancelled: Promise<never>): Promise<DebugCall> {
  const regions = coreRegions(image, layout, abi.HL_PEB_ADDR, abi.HL_PAGE_SIZE);
  let over = false;
  const stub = await GdbStub.listen(
    {
      registers: () => vm.registers() ?? fail('the guest is running'),
      setRegisters: (r, fresh) => {
        if (!over) vm.setRegisters(r, fresh);
      },
      read: (a, n) => vm.read(a, n),
      write: (a, d) => {
        try {
          vm.write(a, d); // also after the call: finish() takes the breakpoints out
        } catch {
          // the sandbox was disposed: nothing left to restore
        }
      },
      inMemory: (a, n) => n >= 0 && regions.some((r) => a >= r.addr && a + n <= r.addr + r.size),
      interrupt: () => {
        if (!over) vm.pause();
      },
    },
    opts.host ?? '127.0.0.1',
    opts.port,
  );
  opts.onListening?.(stub.address());
  const zero = 0n;
  const entry: GuestRegisters = {
    rax: zero, rbx: zero, rcx: zero, rdx: zero, rsi: zero, rdi: BigInt(abi.HL_PEB_ADDR), rbp: zero, rsp: BigInt(layout.stackTop),
    r8: zero, r9: zero, r10: zero, r11: zero, r12: zero, r13: zero, r14: zero, r15: zero,
    rip: BigInt(image.dispatch), rflags: 0x2n, cs: 0x1bn, ss: 0x23n, ds: 0x23n, es: 0x23n, fs: 0x23n, gs: 0x23n, fsBase: zero, gsBase: zero,
  };
  return {
    async first() {
      await Promise.race([stub.start(entry), cancelled]);
      return await vm.run(spinUs);
    },
    async onStop(exit) {
      const stop = exit.kind === 'paused' ? stub.interrupted() : stub.stopped(exit.vector, exit.errorCode, signalForVector(exit.vector));
      return Promise.race([stop, cancelled]);
    },
    finish(err) {
      if (err === undefined) stub.finish(0);
      else if (err instanceof HlError && err.code === ErrorCode.GuestFault) stub.finish(undefined, signalForVector(err.details.vector as number | undefined));
      else stub.finish(undefined, 9); // SIGKILL: cancelled, aborted, or hl gave up on it
      over = true; // a gdb still talking to a closed stub sets no registers
    },
  };
}

function fail(message: string): never {
  throw new HlError(ErrorCode.Usage, message);
}
