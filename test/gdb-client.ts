// gdb-client.ts: Debian's gdb driven as a user drives it, for the gdb stub's
// tests (test/19-gdb-stub-unit, test/34-gdb-stub).
import { spawn } from 'node:child_process';
import { simpleguest } from './helpers';

/** gdb reading commands from a pipe, as a user at its prompt; `ctrlC()` is the
 * user's Ctrl-C (SIGINT to gdb, which sends the stub its interrupt). */
export function gdbInteractive(port: number, commands: string[], image = simpleguest) {
  const child = spawn('gdb', ['-q', '-nx', '-iex', 'set auto-load off', '-iex', 'set confirm off', image], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const seen: { re: RegExp; resolve: () => void }[] = [];
  const onOut = (d: Buffer) => {
    out += d;
    for (const w of seen.splice(0)) (w.re.test(out) ? w.resolve : () => seen.push(w))();
  };
  child.stdout.on('data', onOut);
  child.stderr.on('data', onOut);
  child.stdin.end([`target remote 127.0.0.1:${port}`, ...commands, ''].join('\n'));
  return {
    ctrlC: () => child.kill('SIGINT'),
    seen: (re: RegExp) => new Promise<void>((resolve) => (re.test(out) ? resolve() : seen.push({ re, resolve }))),
    done: new Promise<string>((resolve) => child.on('close', () => resolve(out))),
  };
}
