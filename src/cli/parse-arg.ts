// parse-arg.ts: turns a command-line word into a value of the guest's declared type.
import { readBounded } from './read-bounded';
import type { JsValue, ParamType } from '../abi/types';
import { HlError, usage } from '../errors';

const RANGES = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
} as const;

export interface ArgContext {
  /** "argument 2 of Add" */
  what: string;
  /** Reads standard input once, for bytes given as "-". */
  stdin: () => Buffer;
  /** The most bytes an argument can have (the input buffer's size). */
  maxBytes: number;
}

export function parseArg(type: ParamType, text: string, ctx: ArgContext): JsValue {
  const bad = (why: string) => usage(`${ctx.what} (${type}): ${why}`);
  switch (type) {
    case 'int32':
    case 'uint32':
    case 'int64':
    case 'uint64': {
      const m = /^([+-]?)(0x[0-9a-f]+|[0-9]+)$/i.exec(text.trim());
      if (!m) throw bad(`"${text}" is not an integer (decimal or 0x hex)`);
      const v = (m[1] === '-' ? -1n : 1n) * BigInt(m[2]);
      const [lo, hi] = RANGES[type];
      if (v < lo || v > hi) throw bad(`${text} is out of range (${lo}..${hi})`);
      return type === 'int32' || type === 'uint32' ? Number(v) : v;
    }
    case 'float':
    case 'double': {
      const t = text.trim().toLowerCase();
      const special: Record<string, number> = { nan: NaN, inf: Infinity, '+inf': Infinity, '-inf': -Infinity, infinity: Infinity, '-infinity': -Infinity };
      if (t in special) return special[t];
      if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t)) throw bad(`"${text}" is not a number`);
      const v = Number(t);
      const stored = type === 'float' ? Math.fround(v) : v;
      if (!Number.isFinite(stored)) throw bad(`${text} is out of range (write inf for infinity)`);
      if (stored === 0 && v !== 0) throw bad(`${text} is too small to be told from 0`);
      return v;
    }
    case 'bool':
      if (/^(true|1)$/i.test(text)) return true;
      if (/^(false|0)$/i.test(text)) return false;
      throw bad(`"${text}" is not true or false`);
    case 'string':
      return text;
    case 'bytes':
      if (text === '-') return ctx.stdin();
      if (text.startsWith('@')) {
        try {
          return readBounded(text.slice(1), ctx.maxBytes, ctx.what);
        } catch (err) {
          if (err instanceof HlError) throw err;
          throw bad(`cannot read ${text.slice(1)}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
        }
      }
      return Buffer.from(text, 'utf8');
  }
}
