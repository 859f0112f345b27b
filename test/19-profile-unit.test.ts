// hl-test: no-kvm
// The profiler's policy without KVM: symbols from the real sample guest's
// ELF, samples folded into stacks, and a flame graph that carries hostile
// names inertly (src/sandbox/symbols.ts, profile.ts, observability/flamegraph.ts).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { GuestProfile } from '../src/sandbox/profile';
import { SymbolTable } from '../src/sandbox/symbols';
import { flameGraphSvg } from '../src/observability/flamegraph';
import { simpleguest } from './helpers';

const image = readFileSync(simpleguest);
const symbols = SymbolTable.fromImage(image);
function addr(name: string): number {
  const line = spawnSync('nm', [simpleguest], { encoding: 'utf8' }).stdout.split('\n').find((l) => l.endsWith(` ${name}`));
  return parseInt(line!.split(' ')[0], 16);
}

t.test('symbols: every function of the guest, by address', async (t) => {
  t.ok(symbols.size > 20, `${symbols.size} functions`);
  t.equal(symbols.name(addr('spin')), 'spin');
  t.equal(symbols.name(addr('spin') + 2), 'spin', 'inside the function');
  t.equal(symbols.name(addr('hl_dispatch_c')), 'hl_dispatch_c');
  t.equal(symbols.name(0x10), '0x10', 'no function: the address');
});

t.test('hostile or stripped images give no symbols, never a throw', async (t) => {
  t.equal(SymbolTable.fromImage(Buffer.alloc(0)).size, 0);
  t.equal(SymbolTable.fromImage(image.subarray(0, 100)).size, 0, 'truncated');
  const bad = Buffer.from(image);
  bad.writeBigUInt64LE(0xffffffffffffn, 40); // e_shoff far outside the file
  t.equal(SymbolTable.fromImage(bad).size, 0);
  for (let i = 0; i < 200; i++) {
    const fuzz = Buffer.from(image);
    for (let k = 0; k < 16; k++) fuzz[Math.floor(Math.random() * fuzz.length)] = Math.floor(Math.random() * 256);
    SymbolTable.fromImage(fuzz).name(0x200000);
  }
  t.pass('200 mutated images parsed without a throw');
});

t.test('samples fold into stacks, outermost first; return addresses name their call', async (t) => {
  const p = new GuestProfile({ hz: 997 });
  const spin = addr('spin');
  const dispatch = addr('hl_dispatch_c');
  const frames = BigUint64Array.from([BigInt(spin + 1), BigInt(dispatch + 8), BigInt(spin + 2), BigInt(dispatch + 8), 0n]);
  p.add({ frames, starts: Uint32Array.from([0, 2, 4]), dropped: 3 }, symbols);
  t.equal(p.samples, 3);
  t.equal(p.dropped, 3);
  t.equal(p.folded(), '[host_exception_stub] 1\nhl_dispatch_c;spin 2\n');
  const svg = p.svg('simpleguest.bin Spin');
  t.match(svg, /<title>spin \(2 samples, 66\.67%\)<\/title>/);
  t.match(svg, /3 samples at 997 Hz, 3 dropped/);
});

t.test('hostile names: folded lines keep their shape, the SVG stays inert', async (t) => {
  const stacks = new Map([['a<script>alert(1)</script>;b"onload="x', 5]]);
  const svg = flameGraphSvg(stacks, { title: 't<x>' });
  t.notMatch(svg, /<script|onload="/);
  t.match(svg, /&#60;script&#62;/);
  t.match(svg, /t&#60;x&#62;/);
  const p = new GuestProfile();
  const weird = { name: () => 'evil name;with\nnewline' } as unknown as SymbolTable;
  p.add({ frames: BigUint64Array.from([1n]), starts: Uint32Array.from([0]), dropped: 0 }, weird);
  t.equal(p.folded(), 'evil_name_with_newline 1\n');
  t.throws(() => new GuestProfile({ hz: 0 }), RangeError);
  t.throws(() => new GuestProfile({ hz: 1e6 }), RangeError);
});
