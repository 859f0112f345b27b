// Guests that break the rules quietly: messages with bytes the host used to
// ignore, a stack allocation that jumps the guard page, code that is writable.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { MEMORY_DEFAULTS, Sandbox } from '../src/sandbox';
import { create, hl, simpleguest } from './helpers';

t.test('a result with trailing bytes or a value without its exact padding is an ABI violation', async (t) => {
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  const cases: [string, RegExp][] = [
    ['TrailingBytes', /8 bytes trailing the result of TrailingBytes/],
    ['UnpaddedString', /string value of length 2 lacks its padding/],
    ['ShortLength', /string value of length 2 is followed by non-zero padding/],
  ];
  for (const [fn, message] of cases) {
    await t.rejects(sb.call(fn), { code: 'ABI_VIOLATION', message }, fn);
    t.ok(sb.poisoned, `${fn} poisons the sandbox`);
    sb.restore();
  }
  await t.rejects(sb.call('WrongResultType'), { code: 'ABI_VIOLATION', message: /returned a double, but declares int32/ }, 'a well-framed wrong type is still named');
});

t.test('an alloca larger than the stack hits the guard page (stack-clash protection)', async (t) => {
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  const page = 4096n;
  const ok = await sb.call('HugeAlloca', [64n * 1024n]);
  t.ok(typeof ok === 'bigint' && ok > BigInt(sb.layout.stack.addr), 'an allocation that fits the stack works');
  for (const extra of [2n, 16n, 1024n]) {
    const n = BigInt(MEMORY_DEFAULTS.stackSize) + extra * page;
    const err = await sb.call('HugeAlloca', [n]).catch((e) => e);
    t.equal(err.code, 'GUEST_FAULT', `stack + ${extra} pages: ${err.message}`);
    t.equal(err.kind, 'stack_overflow', 'reported as a stack overflow, not a write into the region below');
    sb.restore();
  }
});

/** simpleguest with its text segment made R+W+X, as bytes and as a file. */
const wx = (() => {
  const image = Buffer.from(readFileSync(simpleguest));
  const phoff = Number(image.readBigUInt64LE(32));
  const text = [...Array(image.readUInt16LE(56)).keys()].map((i) => phoff + i * 56).find((o) => image.readUInt32LE(o) === 1 && (image.readUInt32LE(o + 4) & 1) !== 0);
  if (text === undefined) throw new Error('simpleguest has no text segment');
  image.writeUInt32LE(7, text + 4);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'hl-wx-')), 'wx.bin');
  writeFileSync(file, image);
  return { image, file };
})();

t.test('a writable and executable segment is refused (library and CLI, exit 66)', async (t) => {
  await t.rejects(Sandbox.create(wx.image), { code: 'INVALID_GUEST', message: /segment 0 is both writable and executable/ });
  const refused = hl(['run', wx.file, '--fn', 'Echo', '--arg', 'x']);
  t.equal(refused.status, 66, refused.stderr);
  t.match(refused.stderr, /^hl: error: not a valid hl guest: segment 0 is both writable and executable/);
  t.equal(refused.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('a writable and executable segment runs when the embedder opts in', async (t) => {
  const sb = await Sandbox.create(wx.image, { allowWriteExecute: true });
  t.equal(await sb.call('Echo', ['wx']), 'wx', 'runs with allowWriteExecute');
  sb.dispose();
  const file = wx.file;
  const allowed = hl(['run', file, '--fn', 'Echo', '--arg', 'x', '--allow-write-execute']);
  t.equal(allowed.status, 0, allowed.stderr);
  t.equal(allowed.stdout, 'x\n');
});
