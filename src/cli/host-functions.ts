// host-functions.ts: the host functions every `hl run` offers its guest.
import { writeSync } from 'node:fs';
import type { HostFunction } from '../sandbox';

/** HostPrint and HostAdd; with `json`, HostPrint writes to stderr so stdout stays JSON lines. */
export function defaultHostFunctions(json = false): HostFunction[] {
  return [
  {
    name: 'HostPrint',
    params: ['string'],
    returns: 'int32',
    fn: (text: string) => {
      writeSync(json ? 2 : 1, text);
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
