// Guests that ignore the ABI from their first instruction are contained:
// refused, crashed or cancelled within the timeout, the host intact.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { Sandbox } from '../src/sandbox';
import { hl, root, simpleguest, testGuest } from './helpers';

const cases: [string, string, number, RegExp][] = [
  ['garbage', 'GUEST_FAULT', 134, /null pointer|page fault|general protection|invalid opcode|guest crashed|outside its/],
  ['spin_entry', 'CANCELLED', 124, /guest init cancelled: timed out after 300 ms/],
  ['port_flood', 'GUEST_FAULT', 134, /general protection/],
  ['abi_flood', 'ABI_VIOLATION', 134, /guest broke the ABI/],
  ['wild_write', 'GUEST_FAULT', 134, /write at 0x[0-9a-f]+ outside its \d+-byte memory/],
  // Function names a shell would run: the image is invalid (the ABI allows identifiers only).
  ['bad_names', 'INVALID_GUEST', 66, /^(hl: error: )?not a valid hl guest: function name "\$\(touch pwned-dollar\)" is not an identifier/m],
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

t.test('the SDK refuses to register a name outside the ABI: the init aborts and says why', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-badname-'));
  writeFileSync(
    path.join(dir, 'badname.c'),
    `#include <hl/hl.h>
static void f(const hl_call *c) { (void)c; hl_return_i32(0); }
void hl_main(void) { hl_register("$(touch pwned)", f, HL_I32, 0); }
`,
  );
  writeFileSync(path.join(dir, 'Makefile'), `HL_SDK := ${path.join(root, 'guests/sdk')}\ninclude $(HL_SDK)/hl.mk\nbadname.bin: badname.c\n\t$(HL_LINK) -o $@ $<\n`);
  execFileSync('make', ['-s', '-C', dir]);
  await t.rejects(Sandbox.create(path.join(dir, 'badname.bin'), { timeoutMs: 2000 }), { code: 'GUEST_ABORTED', message: /bad function name/ });
});
