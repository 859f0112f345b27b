// faults.ts: turns a raw fault exit into a GuestFault that says what happened.
import type { RawExit } from '../native';
import { type FaultKind, GuestFault } from './errors';
import type { Layout } from './layout';

const VECTORS: Record<number, [FaultKind, string]> = {
  0: ['divide_error', 'divide error (#DE)'],
  6: ['invalid_opcode', 'invalid opcode (#UD)'],
  13: ['general_protection', 'general protection fault (#GP)'],
  14: ['page_fault', 'page fault (#PF)'],
};

const hex = (n: bigint | number) => `0x${n.toString(16)}`;

export function classifyFault(exit: RawExit, layout: Layout, fn: string): GuestFault {
  const rip = exit.rip;
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
      return new GuestFault('stack_overflow', `guest stack overflow in ${fn} (${access} at ${hex(addr)} hit the guard page below the ${layout.stack.size}-byte stack; rip ${hex(rip)})`, details);
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
