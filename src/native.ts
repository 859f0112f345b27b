// native.ts: the only module that loads the addon. It finds build/Release/hl.node
// (or HL_ADDON_PATH), caches it and keeps the raw types private to src/.
import * as path from 'node:path';
import { ErrorCode, HlError } from './errors';
import { packageRoot } from './package-root';

/** How a run of the vCPU ended, as the addon reports it. */
export interface RawExit {
  kind: 'io' | 'fault' | 'cancelled' | 'paused' | 'error';
  port: number;
  value: number;
  rip: bigint;
  rsp: bigint;
  cr2: bigint;
  /** Exception vector, -1 when unknown. */
  vector: number;
  /** Exception error code, -1 when none. */
  errorCode: number;
  reason: string;
  errno: number;
}

/** The guest's general registers by name (native/kvm/vm_exit.h GuestRegs). */
export interface GuestRegisters {
  rax: bigint; rbx: bigint; rcx: bigint; rdx: bigint; rsi: bigint; rdi: bigint; rbp: bigint; rsp: bigint;
  r8: bigint; r9: bigint; r10: bigint; r11: bigint; r12: bigint; r13: bigint; r14: bigint; r15: bigint;
  rip: bigint; rflags: bigint; cs: bigint; ss: bigint; ds: bigint; es: bigint; fs: bigint; gs: bigint;
  fsBase: bigint; gsBase: bigint;
}

export interface RawVm {
  mapRange(gpa: number, len: number, flags: number): void;
  write(gpa: number, data: Uint8Array): void;
  read(gpa: number, len: number): Buffer;
  /** With rip/rsp/rdi: fresh registers; without: resume after an I/O exit.
   * Waits up to spinUs on the calling thread and returns the exit directly;
   * past that, returns a Promise (the event loop stays free). */
  run(spinUs: number, rip?: number, rsp?: number, rdi?: number): RawExit | Promise<RawExit>;
  /** Cancels the run; waits up to spinUs to settle it synchronously. */
  kill(spinUs?: number): void;
  /** Stops the run with a 'paused' exit (a debugger's interrupt); run(spinUs) resumes it. */
  pause(): void;
  /** Saves the pages of the range that hold data (tracked with KVM's dirty log). */
  snapshot(gpa: number, len: number): void;
  /** Copies back the pages changed since the snapshot and puts the whole
   * vCPU state of the snapshot back (registers, XSAVE image with PKRU, XCR0,
   * FS/GS base and other MSRs, debug registers, events); returns the page count. */
  restore(): number;
  close(): void;
  /** The guest TSC rate in kHz (KVM_GET_TSC_KHZ), 0 if unknown. */
  tscKhz(): number;
  /** The guest's registers after the last exit (after an exception, the
   * faulting code's); undefined while a run is in progress. */
  registers(): GuestRegisters | undefined;
  /** The registers the next run(spinUs) resumes with, in ring 3 (a debugger's continue or step). */
  setRegisters(regs: GuestRegisters, fresh: boolean): void;
  /** Samples the guest's RIP and frame-pointer chain `hz` times a second while it runs. */
  startProfile(hz: number, maxSamples: number): void;
  /** Stops sampling and hands over the samples (frames innermost first). */
  stopProfile(): { frames: BigUint64Array; starts: Uint32Array; dropped: number };
  /** KVM_RUN returns so far (every VM exit). */
  exitCount(): number;
  /** Process-wide id for RawAddon.interrupt (0 once closed). */
  id(): number;
}

export interface RawAddon {
  Vm: new (memSize: number) => RawVm;
  /** Cancels the run of the VM with this id, from any thread; false if it is gone. */
  interrupt(id: number): boolean;
  abiVersion: number;
  maxGuestMemory: number;
}

/** Page flags of RawVm.mapRange (native/memory/layout.h). */
export const MapFlags = { User: 1, Write: 2, Exec: 4 } as const;

/**
 * An addon failure as an HlError (the addon throws Errors with its own `code`):
 * KVM_UNAVAILABLE keeps its meaning, anything else is INTERNAL. `what` starts
 * the message ("cannot create the VM", "snapshot failed").
 */
export function addonError(what: string, err: unknown): HlError {
  if (err instanceof HlError) return err;
  const e = err as (Error & { code?: string }) | undefined;
  const message = e?.message ?? String(err);
  if (e?.code === 'KVM_UNAVAILABLE') return new HlError(ErrorCode.KvmUnavailable, `KVM is not usable: ${message} (run "hl doctor")`, {}, { cause: err });
  return new HlError(ErrorCode.Internal, `${what}: ${message}`, e?.code ? { addonCode: e.code } : {}, { cause: err });
}

let cached: RawAddon | undefined;

export function addonPath(): string {
  return process.env.HL_ADDON_PATH ?? path.join(packageRoot(), 'build', 'Release', 'hl.node');
}

export function loadAddon(): RawAddon {
  if (cached) return cached;
  const file = addonPath();
  try {
    cached = require(file) as RawAddon;
  } catch (err) {
    throw new HlError(
      ErrorCode.Internal,
      `cannot load the native addon ${file}: ${(err as Error).message.split('\n')[0]} (run "npm install" in the hl package to build it; it needs g++, make and python3)`,
      {},
      { cause: err },
    );
  }
  return cached;
}
