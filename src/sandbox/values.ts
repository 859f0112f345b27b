// values.ts: checks a JS value against an ABI type before it is encoded.
import type { JsValue, ValueType } from '../abi/types';
import { usage } from '../errors';

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const U64_MAX = 2n ** 64n - 1n;

function toBigInt(v: unknown, what: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  throw usage(`${what} must be a bigint (or a safe integer number)`);
}

/** Returns `v` as the JS form of `type`, or throws a Usage error naming `what`. */
export function checkValue(type: ValueType, v: unknown, what: string): JsValue {
  switch (type) {
    case 'void':
      if (v !== undefined) throw usage(`${what} must be undefined`);
      return undefined;
    case 'int32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw usage(`${what} must be an int32`);
      return v;
    case 'uint32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw usage(`${what} must be a uint32`);
      return v;
    case 'int64': {
      const b = toBigInt(v, what);
      if (b < I64_MIN || b > I64_MAX) throw usage(`${what} is out of range for int64`);
      return b;
    }
    case 'uint64': {
      const b = toBigInt(v, what);
      if (b < 0n || b > U64_MAX) throw usage(`${what} is out of range for uint64`);
      return b;
    }
    case 'float':
    case 'double':
      if (typeof v !== 'number') throw usage(`${what} must be a number`);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw usage(`${what} must be a boolean`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw usage(`${what} must be a string`);
      return v;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw usage(`${what} must be a Uint8Array or Buffer`);
      return v;
  }
}
