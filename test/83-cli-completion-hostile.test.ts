// Completion treats function names as literal text: pressing TAB after --fn
// in a real interactive shell, in a real terminal, never runs what a guest
// registered, and ordinary names still complete.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { cleanEnv, hlBin, simpleguest, testGuest } from './helpers';
import { Terminal } from './tmux';

const HOSTILE = ['$(touch pwned-dollar)', '`touch pwned-tick`', 'EchoSafe', 'Star*'];
const MARKERS = ['pwned-dollar', 'pwned-tick'];

/** A directory holding a PATH entry with `hl`, and g.bin for the completion to find; removed after the test. */
function workspace(t: Test, fakeNames: boolean) {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-complete-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'bin'));
  const real = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(hlBin)} "$@"`;
  // The fake answers `hl inspect` with hostile names directly: the completion
  // script alone is under test, whatever the ABI lets a guest register.
  const fake = `if [ "$1" = inspect ]; then printf '%s\\n' ${HOSTILE.map((n) => `'${n}'`).join(' ')}; exit 0; fi\n`;
  writeFileSync(path.join(dir, 'bin', 'hl'), `#!/bin/sh\n${fakeNames ? fake : ''}${real}\n`);
  chmodSync(path.join(dir, 'bin', 'hl'), 0o755);
  writeFileSync(path.join(dir, 'g.bin'), '');
  const env = cleanEnv({ PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, TERM: 'xterm-256color', PS1: '$ ' });
  const pwned = () => MARKERS.filter((m) => existsSync(path.join(dir, m)));
  return { dir, env, pwned };
}

/** An interactive shell with hl's completion loaded. */
function shell(command: string, shellName: 'bash' | 'zsh', ws: ReturnType<typeof workspace>): Terminal {
  const term = new Terminal(command, ws.dir, ws.env);
  try {
    term.ready();
    // zsh picks vi keys when $EDITOR says vi: the tests press emacs keys (C-a).
    term.type(`${shellName === 'zsh' ? 'bindkey -e; ' : ''}source <(hl completion ${shellName})`);
    term.press('Enter');
    term.sync();
    return term;
  } catch (err) {
    term.close();
    throw err;
  }
}

// One test for every shell hl completes (0.1.0 ran the names in bash; its zsh
// and fish scripts happened to be literal already and must stay so).
t.test('TAB after --fn offers hostile names as text and runs none: bash, zsh, fish', async (t) => {
  for (const [name, command] of [['bash', 'bash --norc --noprofile -i'], ['zsh', 'zsh -f -i']] as const) {
    t.test(`${name} in a terminal`, async (t) => {
      const ws = workspace(t, true);
      const term = shell(command, name, ws);
      t.teardown(() => term.close());
      term.type('hl run g.bin --fn ');
      term.press('Tab', 'Tab');
      const screen = term.sync();
      t.same(ws.pwned(), [], 'no command from a name ran');
      if (name === 'bash') t.match(screen, '$(touch pwned-dollar)', 'listed as it is');
      // A unique prefix completes to the literal name (quoted on insertion).
      term.type('hl run g.bin --fn Sta');
      term.press('Tab', 'C-a');
      term.type('echo ');
      term.press('Enter');
      const echoed = term.sync();
      t.match(echoed, /^hl run g\.bin --fn Star\*\s*$/m, 'a glob character stays a character', { screen: echoed });
      t.same(ws.pwned(), []);
    });
  }
  t.test('fish (its completion engine, complete -C)', async (t) => {
    const ws = workspace(t, true);
    const r = spawnSync('fish', ['-c', 'hl completion fish | source; complete -C "hl run g.bin --fn "'], { cwd: ws.dir, encoding: 'utf8', env: ws.env });
    t.same(r.stdout.trim().split('\n').map((l) => l.split('\t')[0]).sort(), [...HOSTILE].sort(), 'every name, as it is');
    t.same(ws.pwned(), [], 'no command from a name ran');
  });
});

t.test('bash in a terminal with real guests: a hostile guest runs nothing, simpleguest completes', async (t) => {
  const ws = workspace(t, false);
  const term = shell('bash --norc --noprofile -i', 'bash', ws);
  t.teardown(() => term.close());
  term.type(`hl run ${testGuest('bad_names')} --fn `);
  term.press('Tab', 'Tab');
  term.sync();
  t.same(ws.pwned(), [], 'the guest registered $(touch ...) and `touch ...`: neither ran');
  term.type(`hl run ${simpleguest} --fn EchoI`);
  term.press('Tab', 'Tab');
  const screen = term.sync();
  t.match(screen, /EchoI32\s+EchoI64/, 'the function names are offered');
});
