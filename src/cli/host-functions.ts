// host-functions.ts: the host functions every `hl run` offers its guest.
import { writeSync } from 'node:fs';
import type { HostFunction } from '../sandbox';

export const defaultHostFunctions: HostFunction[] = [
  {
    name: 'HostPrint',
    params: ['string'],
    returns: 'int32',
    fn: (text: string) => {
      writeSync(1, text);
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
