// tmux.ts: an interactive shell in a real pseudo-terminal (tmux on a private
// socket), for tests that press keys the way a user does and read the screen.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { hangGuard } from './helpers';

let syncs = 0;

export class Terminal {
  /** A private server socket, removed by close(). */
  private readonly dir = mkdtempSync(path.join(tmpdir(), 'hl-term-'));
  private readonly socket = path.join(this.dir, 'socket');

  /** Starts `command` in a detached 200x50 tmux window in `cwd` with `env` (replacing the environment). */
  constructor(command: string, cwd: string, env: NodeJS.ProcessEnv) {
    this.tmux(['new-session', '-d', '-s', 't', '-x', '200', '-y', '50', '-c', cwd, command], env);
  }

  private tmux(args: string[], env: NodeJS.ProcessEnv = process.env): string {
    const { TMUX: _inside, ...clean } = env; // a test run inside tmux still gets its own server
    const r = spawnSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', env: clean, timeout: 10_000 });
    if (r.status !== 0) throw new Error(`tmux ${args[0]} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.tmux(['send-keys', '-t', 't', '-l', text]);
  }

  /** Presses keys by tmux name: Tab, Enter, C-u, ... */
  press(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 't', ...keys]);
  }

  /** The screen and its scrollback as text. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 't', '-S', '-200']);
  }

  /**
   * Runs `echo sync-N` with N computed by the shell, and waits until its output
   * appears: the shell has then handled every key sent before (keys are read
   * in order, and a completion function runs to its end before the next key).
   * The wait is bounded so a broken shell fails the test instead of hanging it.
   */
  sync(): string {
    const n = 1000 + syncs++;
    this.press('C-u');
    this.type(`echo sync-$((${n}+1))`);
    this.press('Enter');
    const want = `sync-${n + 1}`;
    const until = Date.now() + hangGuard(30_000); // zsh and hl start in seconds under emulation
    for (;;) {
      const text = this.screen();
      if (text.split('\n').some((l) => l.trim() === want)) return text;
      if (Date.now() > until) throw new Error(`the shell never printed ${want}; screen:\n${text}`);
      spawnSync('sleep', ['0.05']);
    }
  }

  /**
   * Waits (bounded) until the shell shows its first prompt. Keys typed before
   * its line editor starts are typeahead, which zsh drops, Enter included, on
   * a slow machine (under emulation zsh takes seconds to start).
   */
  ready(): void {
    const until = Date.now() + hangGuard(30_000); // zsh and hl start in seconds under emulation
    for (;;) {
      const lines = this.screen().split('\n').filter((l) => l.trim() !== '');
      if (lines.length > 0 && /[$#%>]\s*$/.test(lines[lines.length - 1])) return;
      if (Date.now() > until) throw new Error(`the shell never showed a prompt; screen:\n${lines.join('\n')}`);
      spawnSync('sleep', ['0.05']);
    }
  }

  close(): void {
    try {
      this.tmux(['kill-server']); // this socket's server only
    } catch {
      // already gone
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
