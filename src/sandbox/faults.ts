// faults.ts: turns a raw fault exit into a GuestFault that says what happened.
import type { RawExit } from '../native';
import { type FaultKind, GuestFault } from '../errors';
import type { Layout } from './layout';

const VECTORS: Record<number, [FaultKind, string]> = {
  0: ['divide_error', 'divide error (#DE)'],
  6: ['invalid_opcode', 'invalid opcode (#UD)'],
  13: ['general_protection', 'general protection fault (#GP)'],
  14: ['page_fault', 'page fault (#PF)'],
};

const hex = (n: bigint | number) => `0x${n.toString(16)}`;

/**
 * What the instruction at RIP would raise, for exits whose exception vector
 * KVM does not report (after a shutdown the vector is best-effort, and #DE's
 * vector 0 is indistinguishable from "none"). `code` is guest memory at RIP.
 */
export function vectorFromInstruction(code: Uint8Array): number {
  let i = 0;
  while (i < code.length && (code[i] === 0x66 || code[i] === 0x67 || code[i] === 0xf2 || code[i] === 0xf3 || (code[i] & 0xf0) === 0x40)) i++;
  const op = code[i];
  if ((op === 0xf6 || op === 0xf7) && i + 1 < code.length && ((code[i + 1] >> 3) & 7) >= 6) return 0; // div / idiv
  if (op === 0x0f && code[i + 1] === 0x0b) return 6; // ud2
  if ([0xe4, 0xe5, 0xe6, 0xe7, 0xec, 0xed, 0xee, 0xef, 0xf4, 0xfa, 0xfb].includes(op)) return 13; // in/out/hlt/cli/sti
  return -1;
}

export function classifyFault(exit: RawExit, layout: Layout, fn: string, codeAtRip?: Uint8Array): GuestFault {
  const rip = exit.rip;
  if (exit.vector < 0 && exit.cr2 === 0n && codeAtRip) exit = { ...exit, vector: vectorFromInstruction(codeAtRip) };
  const addr = exit.cr2;
  const details: Record<string, unknown> = { rip: hex(rip), function: fn, reason: exit.reason };
  if (exit.vector >= 0) details.vector = exit.vector;
  if (exit.errorCode >= 0) details.errorCode = exit.errorCode;

  const isPageFault = exit.vector === 14 || (exit.vector < 0 && addr !== 0n);
  if (isPageFault) {
    const access = exit.errorCode < 0 ? 'access' : exit.errorCode & 0x10 ? 'execute' : exit.errorCode & 0x2 ? 'write' : 'read';
    details.address = hex(addr);
    details.access = access;
    const a = Number(addr);
    const guard = layout.stackGuard;
    if (a >= guard.addr - 0x1000 && a < guard.addr + guard.size) {
      return new GuestFault('stack_overflow', `guest stack overflow in ${fn} (${access} at ${hex(addr)} hit the guard page below the ${layout.stack.size}-byte stack; rip ${hex(rip)}); raise stackSize, --stack-size on the CLI`, details);
    }
    if (a < 0x1000) {
      return new GuestFault('null_pointer', `guest ${access} of null pointer ${hex(addr)} in ${fn} (rip ${hex(rip)})`, details);
    }
    if (a >= layout.memSize) {
      return new GuestFault('out_of_bounds', `guest ${access} at ${hex(addr)} outside its ${layout.memSize}-byte memory in ${fn} (rip ${hex(rip)})`, details);
    }
    return new GuestFault('page_fault', `guest page fault: ${access} at ${hex(addr)} not permitted in ${fn} (rip ${hex(rip)})`, details);
  }
  const known = VECTORS[exit.vector];
  if (known) return new GuestFault(known[0], `guest ${known[1]} in ${fn} at rip ${hex(rip)}`, details);
  if (exit.vector >= 0) return new GuestFault('exception', `guest exception ${exit.vector} in ${fn} at rip ${hex(rip)}`, details);
  return new GuestFault('shutdown', `guest crashed (${exit.reason}) in ${fn} at rip ${hex(rip)}`, details);
}
