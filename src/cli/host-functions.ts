// host-functions.ts: the host functions every `hl run` offers its guest.
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { HostFunction } from '../sandbox';
import { escapeControlKeepLines } from '../inert-text';

/** True when what the guest printed on stdout so far does not end with a newline. */
let stdoutMidLine = false;

/** Ends the guest's unfinished line on stdout, so the result that follows is on a line of its own. */
export function endGuestLine(): void {
  if (!stdoutMidLine) return;
  writeSync(1, '\n');
  stdoutMidLine = false;
}

/**
 * HostPrint and HostAdd; with `json`, HostPrint writes to stderr so stdout
 * stays JSON lines. On a terminal, what the guest prints keeps its newlines and
 * tabs but every other control is shown escaped (no cursor moves, no erasing,
 * no OSC); into a pipe or file it goes byte for byte.
 */
export function defaultHostFunctions(json = false): HostFunction[] {
  const fd = json ? 2 : 1;
  const tty = isatty(fd);
  return [
  {
    name: 'HostPrint',
    params: ['string'],
    returns: 'int32',
    fn: (text: string) => {
      writeSync(fd, tty ? escapeControlKeepLines(text) : text);
      if (fd === 1 && text.length > 0) stdoutMidLine = !text.endsWith('\n');
      return Buffer.byteLength(text);
    },
  },
  {
    name: 'HostAdd',
    params: ['int32', 'int32'],
    returns: 'int32',
    fn: (a: number, b: number) => (a + b) | 0,
  },
  ];
}
