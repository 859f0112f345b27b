// Bad guest images are refused before anything runs, with a clear message.
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { Sandbox } from '../src/sandbox';
import { guest, simpleguest } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'hl-img-'));
const file = (name: string, data: string | Buffer) => {
  const p = path.join(dir, name);
  writeFileSync(p, data);
  return p;
};
const good = readFileSync(simpleguest);
const patched = (offset: number, bytes: number[]) => {
  const b = Buffer.from(good);
  Buffer.from(bytes).copy(b, offset);
  return b;
};

const cases: [string, string | Uint8Array, string, RegExp][] = [
  ['missing file', path.join(dir, 'nope.bin'), 'IMAGE_UNREADABLE', /no such file/],
  ['a directory', dir, 'IMAGE_UNREADABLE', /directory/],
  ['empty file', file('empty.bin', ''), 'INVALID_GUEST', /empty/],
  ['text file', file('text.bin', 'hello, I am not an ELF file at all\n'.repeat(4)), 'INVALID_GUEST', /not an ELF/],
  ['a Linux program', guest('notaguest'), 'INVALID_GUEST', /no hl note/],
  ['ELF for AArch64', patched(18, [183, 0]), 'INVALID_GUEST', /AArch64/],
  ['32-bit ELF', patched(4, [1]), 'INVALID_GUEST', /32-bit/],
  ['truncated ELF', good.subarray(0, 200), 'INVALID_GUEST', /truncated/],
  ['truncated headers', good.subarray(0, 40), 'INVALID_GUEST', /not an ELF/],
  ['shared object', patched(16, [3, 0]), 'INVALID_GUEST', /position-independent/],
];

for (const [name, input, code, message] of cases) {
  t.test(name, async (t) => {
    await t.rejects(Sandbox.create(input), { code, message });
  });
}

t.test('a guest of another ABI version', async (t) => {
  // Find the HL note's abi_version field and change it.
  const magic = Buffer.from('4c486047554553 54'.replace(/ /g, ''), 'hex');
  const at = good.indexOf(magic);
  t.ok(at > 0, 'found the note');
  const b = Buffer.from(good);
  b.writeUInt32LE(99, at + 8);
  await t.rejects(Sandbox.create(b), { code: 'INVALID_GUEST', message: /ABI version 99; this hl runs ABI version 1/ });
});

t.test('a note whose size wraps 32-bit arithmetic', async (t) => {
  const b = Buffer.from(good);
  const magic = Buffer.from('4c48604755455354', 'hex');
  const desc = b.indexOf(magic);
  b.writeUInt32LE(0xfffffffd, desc - 16 + 4); // descsz of the HL note (namesz, descsz, type, "HL\0\0")
  await t.rejects(Sandbox.create(b), { code: 'INVALID_GUEST', message: /no hl note/ });
});

t.test('a segment outside the image area', async (t) => {
  const b = Buffer.from(good);
  const phoff = Number(b.readBigUInt64LE(32));
  b.writeBigUInt64LE(0x1000n, phoff + 16); // first PT_LOAD vaddr into the system area
  await t.rejects(Sandbox.create(b), { code: 'INVALID_GUEST', message: /outside the guest image area/ });
});

t.test('memory options are checked', async (t) => {
  await t.rejects(Sandbox.create(simpleguest, { heapSize: -1 }), { code: 'USAGE' });
  await t.rejects(Sandbox.create(simpleguest, { stackSize: 1024 ** 3 }), { code: 'USAGE' });
  const sb = await Sandbox.create(simpleguest, { heapSize: 64 * 1024, stackSize: 64 * 1024 });
  t.equal(await sb.call('Echo', ['small']), 'small');
  await t.rejects(sb.call('Malloc', [128 * 1024]), { code: 'GUEST_ERROR' }, 'the small heap is enforced');
  sb.dispose();
});
