// host-functions.ts: the host functions every `hl run` offers its guest.
import { writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { HostFunction } from '../sandbox';
import { escapeControlKeepLines } from '../inert-text';

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
