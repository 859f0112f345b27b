// exit-loop.ts: drives the vCPU from one run to the guest's done-exit. Each
// exit is decided here (policy): a log record or a host call is served and the
// guest resumes; DONE ends the work with its message; an abort, a fault, a
// cancel or anything else ends it with a typed error. It sees the VM only
// through ExitVm, so it is tested with a fake VM (test/16-exit-loop).
import * as abi from '../abi/constants';
import { type Message, violation } from '../abi/codec';
import { decodeAbort, readGuestMessage } from '../abi/messages';
import type { RawExit } from '../native';
import { ErrorCode, HlError } from '../errors';
import { HostLog, Level } from '../observability/logging';
import { nowMs } from '../observability/tracing';
import { CANCELLED, type CallContext } from './call-context';
import { classifyFault } from './faults';
import type { Layout, Region } from './layout';

/** The part of the VM the exit loop needs. */
export interface ExitVm {
  /** Runs the vCPU on from where the last I/O exit left it. */
  resume(): RawExit | Promise<RawExit>;
  /** A bounds-checked copy of guest memory. */
  read(gpa: number, len: number): Buffer;
}

export interface ExitHandlers {
  /** A log record on HL_PORT_LOG; the guest resumes after it. */
  log(kind: number, message: Message['reader'], ctx: CallContext): void;
  /** A host-call request on HL_PORT_HOSTCALL; resolves once the reply is written. */
  hostCall(kind: number, message: Message['reader'], ctx: CallContext): Promise<void>;
}

export interface ExitLoopEnv {
  vm: ExitVm;
  layout: Layout;
  /** Executable ranges of the image: the fault decoder reads code only there. */
  code: readonly Region[];
  handlers: ExitHandlers;
}

/** `vm exit` trace records per call: the guest chooses how many exits a call makes. */
export const MAX_EXIT_LOGS = 1024;

const vmLog = new HostLog('vm');

/**
 * Runs `first` (the entry into the guest) and then resumes after every exit
 * the host serves, until the guest's DONE: returns that message. Throws
 * CANCELLED (the symbol) on a cancel, a GuestFault, an ABI violation, a
 * GUEST_ABORTED or an INTERNAL error otherwise.
 */
export async function runExitLoop(env: ExitLoopEnv, first: () => RawExit | Promise<RawExit>, ctx: CallContext): Promise<Message> {
  let run = first;
  for (;;) {
    const times = ctx.runTimes;
    const startMs = times ? nowMs() : undefined; // the same clock reading for the span and the guest clock
    const runSpan = ctx.traceParent.child('vcpu_run', Level.trace, VM_TARGET, undefined, startMs);
    const exit = await run();
    const endMs = times ? nowMs() : undefined;
    if (times) times.add(startMs!, endMs!);
    if (runSpan.recording) {
      runSpan.setAttribute('exit', exitName(exit));
      runSpan.end(endMs);
    }
    if (ctx.exitLogs < MAX_EXIT_LOGS && vmLog.enabled(Level.trace, ctx.spans)) {
      const more = ++ctx.exitLogs === MAX_EXIT_LOGS ? ' (further exits in this call are not logged)' : '';
      vmLog.trace(`vm exit${more}`, exitFields(exit), ctx.spans);
    }
    if (exit.kind === 'cancelled') throw CANCELLED; // the caller builds the one error, with the reason
    if (exit.kind === 'fault' || exit.kind === 'paused') {
      // A debugger's stop (a breakpoint, a step, its interrupt) resumes where gdb says.
      if (ctx.debugStop && (await ctx.debugStop(exit))) {
        run = () => env.vm.resume(); // a breakpoint or a step: gdb chose the registers
        continue;
      }
      if (exit.kind === 'paused') throw new HlError(ErrorCode.Internal, `the vCPU paused during ${ctx.fn} with no debugger attached`);
      throw classifyFault(exit, env.layout, ctx.fn, codeAt(env, exit.rip));
    }
    if (exit.kind === 'error') throw new HlError(ErrorCode.Internal, `KVM failed during ${ctx.fn}: ${exit.reason}${exit.errno ? ` (errno ${exit.errno})` : ''}`);
    const msg = readGuestMessage((a, n) => env.vm.read(a, n), env.layout.output);
    switch (exit.port) {
      case abi.HL_PORT_DONE:
        return msg;
      case abi.HL_PORT_LOG:
        env.handlers.log(msg.kind, msg.reader, ctx);
        break;
      case abi.HL_PORT_HOSTCALL:
        await env.handlers.hostCall(msg.kind, msg.reader, ctx);
        break;
      case abi.HL_PORT_ABORT: {
        const a = decodeAbort(msg.kind, msg.reader);
        throw new HlError(ErrorCode.GuestAborted, `guest aborted in ${ctx.fn} with code ${a.code}: ${a.message}`, { guestCode: a.code, guestMessage: a.message, function: ctx.fn });
      }
      default:
        throw violation(`write to port 0x${exit.port.toString(16)}`);
    }
    run = () => env.vm.resume();
  }
}

/** Up to 16 bytes of guest memory at `rip`, if it lies in an executable range. */
function codeAt(env: ExitLoopEnv, rip: bigint): Uint8Array | undefined {
  const a = Number(rip);
  const r = env.code.find((c) => a >= c.addr && a < c.addr + c.size);
  return r ? env.vm.read(a, Math.min(16, r.addr + r.size - a)) : undefined;
}

export const VM_TARGET = 'hyperlight_host::vm';

const PORT_NAMES: Record<number, string> = { [abi.HL_PORT_DONE]: 'done', [abi.HL_PORT_HOSTCALL]: 'host_call', [abi.HL_PORT_LOG]: 'log', [abi.HL_PORT_ABORT]: 'abort' };

export function exitName(exit: RawExit): string {
  return exit.kind === 'io' ? PORT_NAMES[exit.port] ?? `port 0x${exit.port.toString(16)}` : exit.kind;
}

function exitFields(exit: RawExit): Record<string, unknown> {
  return exit.kind === 'io' ? { exit: exitName(exit) } : { exit: exit.kind, reason: exit.reason };
}
