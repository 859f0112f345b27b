// tmux-pane.ts: an interactive bash in a real pseudo-terminal (a tmux pane, 100x30),
// driven like a user: type a line, watch the screen, press Ctrl-C.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cleanEnv } from './helpers';

let sessions = 0;

export interface Pane {
  /** Types `line` and presses Enter. */
  type(line: string): void;
  /** Sends tmux key names (C-c, Enter). */
  keys(...names: string[]): void;
  /** The screen and its scrollback, lines joined. */
  screen(): string;
  /**
   * Polls the screen until `re` matches; throws at once if `unless` matches
   * first, and after `hangGuardMs` (a hang guard, not a timing check).
   */
  waitFor(re: RegExp, unless?: RegExp, hangGuardMs?: number): Promise<RegExpMatchArray>;
  /** Whether the terminal shows its cursor now. */
  cursorVisible(): boolean;
  /** The pids of the processes bash started (the command running in the foreground). */
  children(): number[];
  stop(): void;
}

/** Starts bash (no rc files, prompt "READY$ ") in a fresh tmux server of its own. */
export async function startPane(env: Record<string, string> = {}): Promise<Pane> {
  const socket = `hl-test-${process.pid}-${sessions++}`;
  const tmux = (...args: string[]) => {
    const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const shellEnv = cleanEnv({ TERM: 'xterm-256color', HISTFILE: '/dev/null', ...env });
  // A user's shell has no tap loader. tap's process tracking puts its loader into
  // NODE_OPTIONS of every child it sees spawned (even when the env leaves it out),
  // and that loader brings signal-exit into every node process, which hid hl's
  // signal bug (spinner.ts): `env -u` takes it out of the tmux server's environment.
  delete shellEnv.NODE_OPTIONS;
  // The prompt comes from an rc file: bash does not take PS1 from the environment everywhere.
  const rc = path.join(mkdtempSync(path.join(tmpdir(), 'hl-tmux-')), 'bashrc');
  writeFileSync(rc, "PS1='READY$ '\n");
  const started = spawnSync('env', ['-u', 'NODE_OPTIONS', 'tmux', '-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '100', '-y', '30', `bash --noprofile --rcfile ${rc} -i`], { env: shellEnv, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`tmux new-session: ${started.stderr}`);
  const pane: Pane = {
    type(line) {
      tmux('send-keys', '-t', '0', '-l', line);
      tmux('send-keys', '-t', '0', 'Enter');
    },
    keys(...names) {
      tmux('send-keys', '-t', '0', ...names);
    },
    screen: () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', '0'),
    async waitFor(re, unless, hangGuardMs = 30_000) {
      const until = Date.now() + hangGuardMs;
      for (;;) {
        const screen = pane.screen();
        const m = re.exec(screen);
        if (m) return m;
        if (unless?.test(screen) || Date.now() > until) throw new Error(`${re} never appeared; the screen:\n${screen}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    cursorVisible: () => tmux('display-message', '-p', '-t', '0', '#{cursor_flag}').trim() === '1',
    children() {
      const bash = tmux('display-message', '-p', '-t', '0', '#{pane_pid}').trim();
      return readFileSync(`/proc/${bash}/task/${bash}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    },
    stop() {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
    },
  };
  await pane.waitFor(/READY\$ $/m);
  return pane;
}
