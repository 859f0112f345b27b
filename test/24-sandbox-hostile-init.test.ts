// Guests that ignore the ABI from their first instruction are contained:
// refused, crashed or cancelled within the timeout, the host intact.
import t from 'tap';
import { Sandbox } from '../src/sandbox';
import { hl, simpleguest, testGuest } from './helpers';

const cases: [string, string, number, RegExp][] = [
  ['garbage', 'GUEST_FAULT', 134, /null pointer|page fault|general protection|invalid opcode|guest crashed|outside its/],
  ['spin_entry', 'CANCELLED', 124, /guest init cancelled: timed out after 300 ms/],
  ['port_flood', 'GUEST_FAULT', 134, /general protection/],
  ['abi_flood', 'ABI_VIOLATION', 134, /guest broke the ABI/],
  ['wild_write', 'GUEST_FAULT', 134, /write at 0x[0-9a-f]+ outside its \d+-byte memory/],
];

for (const [name, code, status, message] of cases) {
  t.test(`${name}: library`, async (t) => {
    await t.rejects(Sandbox.create(testGuest(name), { timeoutMs: 300 }), { code, message });
  });
  t.test(`${name}: hl run exits ${status} with one line`, async (t) => {
    const r = hl(['run', testGuest(name), '--fn', 'Anything', '--timeout', '300ms']);
    t.equal(r.status, status, r.stderr);
    t.match(r.stderr, message);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  });
}

t.test('the host is intact after all of them', async (t) => {
  const sb = await Sandbox.create(simpleguest);
  t.equal(await sb.call('Echo', ['still here']), 'still here');
  sb.dispose();
});
