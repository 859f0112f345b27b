// read-bounded.ts: reads a file or standard input, refusing more than `max`
// bytes (an endless /dev/zero or pipe must not grow memory without bound).
import { closeSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { usage } from '../errors';

export function readBounded(source: string | 0, max: number, what: string): Buffer {
  const fd = source === 0 ? 0 : openSync(source, 'r');
  // On a terminal, `--arg -` would wait without a word: say what it waits for.
  if (source === 0 && isatty(0) && isatty(2)) writeSync(2, `hl: reading ${what} from the terminal; end it with Ctrl-D\n`);
  try {
    // Node reopens a closed stdin on /dev/null: either way `-` would pass empty
    // bytes without a word (a cron job, `ssh -n`, a script's `<&-`).
    if (source === 0 && isDevNull(fd)) throw usage(`${what}: standard input is closed or /dev/null, so "-" reads nothing; for empty bytes pass --arg ''`);
    if (source !== 0 && !fstatSync(fd).isFile()) throw usage(`${what}: ${source} is not a regular file`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(64 * 1024);
      let n: number;
      try {
        n = readSync(fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking stdin
        throw err;
      }
      if (n === 0) break;
      total += n;
      if (total > max) throw usage(`${what}: more than ${max} bytes (the call must fit in its input buffer; raise --input-size)`);
      chunks.push(chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    if (source !== 0) closeSync(fd);
  }
}

function isDevNull(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isCharacterDevice() && st.rdev === statSync('/dev/null').rdev;
  } catch {
    return true; // no stdin at all
  }
}
