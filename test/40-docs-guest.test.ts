// The complete guest in guests/README.md builds with its Makefile and runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { hl, root } from './helpers';

t.test('the guests/README.md example', async (t) => {
  const doc = readFileSync(path.join(root, 'guests/README.md'), 'utf8');
  const blocks = [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
  const c = blocks.find((b) => b.lang === 'c' && b.body.includes('// greet.c'));
  const mk = blocks.find((b) => b.lang === 'make');
  t.ok(c && mk, 'the README has the guest and its Makefile');
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-guest-'));
  writeFileSync(path.join(dir, 'greet.c'), c!.body);
  // The Makefile asks `hl guests-path --sdk`: the clone's own hl on the PATH (test 82 does the same from an installed package).
  writeFileSync(path.join(dir, 'Makefile'), mk!.body);
  execFileSync('make', ['-s', '-C', dir], { env: { ...process.env, PATH: `${path.join(root, 'bin')}:${process.env.PATH}` } });
  const bin = path.join(dir, 'greet.bin');
  const inspect = hl(['inspect', bin]);
  t.equal(inspect.stdout, 'Greet(string) -> string\n');
  const run = hl(['run', bin, '--fn', 'Greet', '--arg', 'world']);
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stdout, 'Hello, world\n');
});
