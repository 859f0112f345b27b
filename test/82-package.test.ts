// hl-test: slow
// npm pack yields a package (hl-microvm) that installs into a project outside
// the clone, with no tests, benches or build leftovers in it; and the
// README's and guests/README.md's examples run there, as a new user copies them.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { cleanEnv, root, hangGuard } from './helpers';

/** The fenced blocks of a markdown file, by language. */
const blocks = (file: string) => [...readFileSync(path.join(root, file), 'utf8').matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));

t.test('npm pack, npm install in a project outside the clone, the examples run there', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-pack-'));
  const tgz = execFileSync('npm', ['pack', '--pack-destination', dir, '--ignore-scripts'], { cwd: root, encoding: 'utf8' }).trim().split('\n').pop()!;
  t.match(tgz, /^hl-microvm-\d+\.\d+\.\d+\.tgz$/, 'the package is hl-microvm');
  const file = path.join(dir, tgz);
  const listing = execFileSync('tar', ['tzf', file], { encoding: 'utf8' }).split('\n');
  t.ok(listing.includes('package/dist/src/cli/index.js'), 'compiled CLI');
  t.ok(listing.includes('package/guests/sdk/include/hl/hl_abi.h'), 'guest SDK');
  t.ok(listing.includes('package/guests/simpleguest/simpleguest.c'), 'sample guest source');
  t.same(listing.filter((f) => /^package\/(test|dist\/test|dist\/bench|src|build|guests\/bin|guests\/hostile|node_modules)\//.test(f) || f.endsWith('.map')), [], 'no tests, sources of the build, benches or leftovers');

  const project = path.join(dir, 'project');
  mkdirSync(project);
  writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'a-new-project', version: '1.0.0', private: true }));
  // --prefer-offline: the dependencies are in npm's cache since the clone's own install (the nested-KVM VM has no network).
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', file], { cwd: project, encoding: 'utf8', timeout: hangGuard(600_000) });
  t.equal(install.status, 0, install.stderr);
  const env = cleanEnv({ PATH: `${path.join(project, 'node_modules', '.bin')}:${process.env.PATH}` });
  const sh = (line: string, cwd = project) => spawnSync('bash', ['-o', 'pipefail', '-c', line], { cwd, env, encoding: 'utf8', timeout: hangGuard(120_000) });

  // README: the block for an installed package (every line but the `npm install` of a clone).
  const installed = blocks('README.md').find((b) => b.lang === 'sh' && b.body.includes('guests-path'))!;
  for (const line of installed.body.trim().split('\n')) {
    const r = sh(line);
    t.equal(r.status, 0, `${line}\n${r.stderr}`);
  }
  t.equal(sh('hl run "$(hl guests-path)/simpleguest.bin" --fn Add --arg 2 --arg 3').stdout, '5\n');

  // README: the library example, copied as it is into the project.
  const js = blocks('README.md').find((b) => b.lang === 'js')!;
  writeFileSync(path.join(project, 'example.js'), js.body);
  const lib = spawnSync(process.execPath, ['example.js'], { cwd: project, env, encoding: 'utf8', timeout: hangGuard(120_000) });
  t.equal(lib.status, 0, lib.stderr);
  t.equal(lib.stdout, 'hello\n5\nCANCELLED\n');

  // guests/README.md: the guest, its Makefile and the session shown, in a folder of its own.
  const guide = blocks('guests/README.md');
  const guestDir = path.join(project, 'greet');
  mkdirSync(guestDir);
  writeFileSync(path.join(guestDir, 'greet.c'), guide.find((b) => b.lang === 'c')!.body);
  writeFileSync(path.join(guestDir, 'Makefile'), guide.find((b) => b.lang === 'make')!.body);
  const session = guide.find((b) => b.lang === 'console')!.body.trim().split('\n');
  for (let i = 0; i < session.length; i++) {
    if (!session[i].startsWith('$ ')) continue;
    const expected: string[] = [];
    for (let j = i + 1; j < session.length && !session[j].startsWith('$ '); j++) expected.push(session[j]);
    const r = sh(session[i].slice(2), guestDir);
    t.equal(r.status, 0, `${session[i]}\n${r.stderr}`);
    if (expected.length) t.equal(r.stdout.trim(), expected.join('\n'), session[i]);
  }
});
