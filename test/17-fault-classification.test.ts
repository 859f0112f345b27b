// hl-test: no-kvm
// Fault classification (src/sandbox/faults.ts) as a table: what the stubs or
// a shutdown report -> the kind and the message a user reads. No KVM.
import t from 'tap';
import * as abi from '../src/abi/constants';
import type { RawExit } from '../src/native';
import { classifyFault, vectorFromInstruction } from '../src/sandbox/faults';
import { computeLayout } from '../src/sandbox/layout';

const layout = computeLayout(abi.HL_IMAGE_BASE + 0x10000, {});
const hex = (n: number) => `0x${n.toString(16)}`;
const fault = (over: Partial<RawExit>): RawExit => ({ kind: 'fault', port: 0, value: 0, rip: 0x201000n, rsp: 0n, cr2: 0n, vector: -1, errorCode: -1, reason: 'exception', errno: 0, ...over });
const guard = layout.stackGuard.addr;

const table: [string, Partial<RawExit>, string, RegExp][] = [
  ['read of a null pointer', { vector: 14, errorCode: 0x4, cr2: 0x10n }, 'null_pointer', /guest read of null pointer 0x10 in Fn \(rip 0x201000\)/],
  ['write of a null pointer', { vector: 14, errorCode: 0x6, cr2: 0n }, 'null_pointer', /guest write of null pointer 0x0/],
  ['a push into the guard page', { vector: 14, errorCode: 0x6, cr2: BigInt(guard + 0xff8) }, 'stack_overflow', new RegExp(`stack overflow in Fn \\(write at ${hex(guard + 0xff8)} hit the guard page below the ${layout.stack.size}-byte stack`)],
  ['a write just below the guard page', { vector: 14, errorCode: 0x6, cr2: BigInt(guard - 8) }, 'stack_overflow', /stack overflow/],
  ['a read past guest memory', { vector: 14, errorCode: 0x4, cr2: BigInt(layout.memSize + 0x1000) }, 'out_of_bounds', new RegExp(`read at ${hex(layout.memSize + 0x1000)} outside its ${layout.memSize}-byte memory`)],
  ['an execute of data', { vector: 14, errorCode: 0x15, cr2: BigInt(layout.heap.addr) }, 'page_fault', new RegExp(`execute at ${hex(layout.heap.addr)} not permitted`)],
  ['a write to read-only code', { vector: 14, errorCode: 0x7, cr2: 0x200000n }, 'page_fault', /write at 0x200000 not permitted/],
  ['a page fault without an error code', { vector: 14, cr2: 0x300000n }, 'page_fault', /access at 0x300000/],
  ['#GP', { vector: 13, errorCode: 0 }, 'general_protection', /general protection fault \(#GP\) in Fn at rip 0x201000/],
  ['#UD', { vector: 6 }, 'invalid_opcode', /invalid opcode \(#UD\)/],
  ['#DE', { vector: 0 }, 'divide_error', /divide error \(#DE\)/],
  ['#DB (trap flag)', { vector: 1 }, 'exception', /guest exception 1 in Fn/],
  ['#AC', { vector: 17, errorCode: 0 }, 'exception', /guest exception 17/],
  ['a shutdown with nothing known', { reason: 'shutdown' }, 'shutdown', /guest crashed \(shutdown\) in Fn at rip 0x201000/],
  ['a shutdown with an address', { reason: 'shutdown', cr2: 0x8n }, 'null_pointer', /access of null pointer 0x8/],
];

t.test('fault exits -> kinds and messages', async (t) => {
  for (const [what, exit, kind, message] of table) {
    const f = classifyFault(fault(exit), layout, 'Fn');
    t.equal(f.kind, kind, what);
    t.match(f.message, message, what);
    t.equal(f.code, 'GUEST_FAULT');
    t.equal(f.details.rip, '0x201000', `${what}: rip in the details`);
  }
});

t.test('a shutdown without a vector: the instruction at RIP says what it raised', async (t) => {
  const cases: [string, number[], number][] = [
    ['ud2', [0x0f, 0x0b], 6],
    ['div', [0xf7, 0xf1], 0],
    ['idiv with a REX prefix', [0x48, 0xf7, 0xf9], 0],
    ['out', [0xee], 13],
    ['hlt', [0xf4], 13],
    ['mov (nothing to say)', [0x48, 0x89, 0xc3], -1],
    ['an empty read', [], -1],
  ];
  for (const [what, bytes, vector] of cases) t.equal(vectorFromInstruction(Uint8Array.from(bytes)), vector, what);
  const f = classifyFault(fault({ reason: 'shutdown' }), layout, 'Fn', Uint8Array.from([0x0f, 0x0b]));
  t.equal(f.kind, 'invalid_opcode', 'a shutdown at ud2 is a #UD');
});
