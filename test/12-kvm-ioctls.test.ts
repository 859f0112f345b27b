// hl-test: no-kvm
// The addon's KVM ioctl numbers are the kernel's. An ioctl number encodes the
// size of its struct, and three KVM structs are larger in C++ than in C (a
// flexible array declared with __DECLARE_FLEX_ARRAY): 0.1.0 used the header's
// numbers from C++ and KVM refused them (EINVAL), so the guest never got its
// CPUID. No KVM needed: gcc and g++ compile the two sides.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { root } from './helpers';

const pairs: [string, string][] = [
  ['KVM_GET_SUPPORTED_CPUID', 'kKvmGetSupportedCpuid'],
  ['KVM_SET_CPUID2', 'kKvmSetCpuid2'],
  ['KVM_GET_MSRS', 'kKvmGetMsrs'],
  ['KVM_SET_MSRS', 'kKvmSetMsrs'],
  ['KVM_GET_XSAVE', 'kKvmGetXsave'],
  ['KVM_SET_XSAVE', 'kKvmSetXsave'],
  ['KVM_GET_XSAVE2', 'kKvmGetXsave2'],
];

function run(compiler: string, ext: string, body: string): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-ioctl-'));
  const src = path.join(dir, `n.${ext}`);
  writeFileSync(src, body);
  execFileSync(compiler, ['-o', path.join(dir, 'n'), src]);
  return execFileSync(path.join(dir, 'n'), { encoding: 'utf8' }).trim().split('\n');
}

t.test('hl uses the C ioctl numbers of the structs C++ lays out differently', (t) => {
  const c = run('gcc', 'c', `#include <linux/kvm.h>\n#include <stdio.h>\nint main(void) {\n${pairs.map(([k]) => `  printf("%lx\\n", (unsigned long)${k});`).join('\n')}\n  return 0;\n}\n`);
  const cxx = run('g++', 'cc', `#include "${path.join(root, 'native/kvm/kvm_c_ioctls.h')}"\n#include <cstdio>\nint main() {\n${pairs.map(([, k]) => `  printf("%lx\\n", hl::${k});`).join('\n')}\n  return 0;\n}\n`);
  pairs.forEach(([k, mine], i) => t.equal(cxx[i], c[i], `${mine} is C's ${k}`));
  t.end();
});

t.test("no native source uses the header's numbers for those structs", (t) => {
  const dir = path.join(root, 'native');
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.(cc|h)$/.test(f) && !f.endsWith('kvm_c_ioctls.h'));
  for (const f of files) {
    const code = readFileSync(path.join(dir, f), 'utf8').replace(/\/\/.*$/gm, '');
    for (const [k] of pairs) t.notMatch(code, new RegExp(`ioctl\\([^)]*\\b${k}\\b`), `${f} does not pass ${k}`);
  }
  t.end();
});
