// hl-test: slow
// Every example in the README runs: each line of each ```sh block (with `hl`
// on the PATH), and the ```js library example.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, hlBin, root, hangGuard } from './helpers';

const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
const bin = mkdtempSync(path.join(tmpdir(), 'hl-readme-'));
writeFileSync(path.join(bin, 'hl'), `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(hlBin)} "$@"\n`);
chmodSync(path.join(bin, 'hl'), 0o755);
const env = cleanEnv({ PATH: `${bin}:${process.env.PATH}` });

// `npm install` is what CI already did; running it again would rebuild the tree under the tests.
// `./bin/hl` is the clone's own command; the PATH's `hl` is the same program.
const commands = blocks
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => b.body.trim().split('\n'))
  .filter((l) => l && !l.startsWith('#') && !l.startsWith('npm install'))
  .map((l) => l.replace(/^\.\/bin\/hl /, 'hl '));

t.test('README shell examples', async (t) => {
  t.ok(commands.length >= 20, `${commands.length} commands`);
  for (const line of commands) {
    const r = spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd: root, env, encoding: 'utf8', timeout: hangGuard(60_000) });
    t.equal(r.status, 0, `${line}\n${r.stderr}`);
    // A filter example that prints nothing teaches nothing (the README once had one).
    if (/--log |_LOG=/.test(line)) t.match(r.stderr, /\S/, `${line}: shows log records`);
  }
});

t.test('README library example', async (t) => {
  const js = blocks.find((b) => b.lang === 'js')!;
  const file = path.join(bin, 'example.js');
  writeFileSync(file, js.body.replace("require('hl-microvm')", `require(${JSON.stringify(path.join(root, 'dist/src/sandbox/index.js'))})`));
  const r = spawnSync(process.execPath, [file], { cwd: root, encoding: 'utf8', env, timeout: hangGuard(30_000) });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'hello\n5\nCANCELLED\n');
});
