// targets.ts: fuzz targets for every decoder of guest-written data and for the
// ELF loader. Each takes a seed, must never throw anything but an HlError with
// an expected code, and returns the outcome for statistics.
import { readFileSync } from 'node:fs';
import { Reader, readMessage } from '../../src/abi/codec';
import { readFunctionTable } from '../../src/abi/function-table';
import * as abi from '../../src/abi/constants';
import { HlError, Sandbox, configureLogging } from '../../src/sandbox';
import { parseGuestImage } from '../../src/sandbox/elf';
import { guest, hostFunctions, simpleguest } from '../helpers';

/** xorshift64*: deterministic, so a failing seed reproduces. */
export function rng(seed: number): () => number {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  return () => {
    s ^= s << 13n;
    s &= 0xffffffffffffffffn;
    s ^= s >> 7n;
    s ^= s << 17n;
    s &= 0xffffffffffffffffn;
    return Number(s & 0xffffffffn);
  };
}

export type Outcome = 'ok' | string; // 'ok' or the HlError code

/** Throws anything that is not an HlError with one of `codes`. */
function expectOnly(err: unknown, codes: string[]): Outcome {
  if (err instanceof HlError && codes.includes(err.code)) return err.code;
  throw err;
}

function mutate(base: Buffer, r: () => number, maxFlips: number, region = base.length): Buffer {
  const b = Buffer.from(base);
  const flips = 1 + (r() % maxFlips);
  for (let i = 0; i < flips; i++) {
    const at = r() % Math.min(region, b.length);
    b[at] = r() % 3 === 0 ? r() & 255 : b[at] ^ (1 << (r() % 8));
  }
  return r() % 5 === 0 ? b.subarray(0, r() % (b.length + 1)) : b;
}

// A valid FUNCTIONS message body, as a guest would send it.
const table = (() => {
  const parts: Buffer[] = [];
  const u32 = (v: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    parts.push(b);
  };
  const value = (type: number, payload: Buffer) => {
    const h = Buffer.alloc(8);
    h[0] = type;
    h.writeUInt32LE(payload.length, 4);
    parts.push(h, payload, Buffer.alloc(((payload.length + 8) & ~7) - payload.length));
  };
  u32(2);
  u32(0);
  value(abi.HL_TYPE_STRING, Buffer.from('Echo'));
  value(abi.HL_TYPE_BYTES, Buffer.from([abi.HL_TYPE_STRING, abi.HL_TYPE_STRING]));
  value(abi.HL_TYPE_STRING, Buffer.from('Add'));
  value(abi.HL_TYPE_BYTES, Buffer.from([abi.HL_TYPE_I32, abi.HL_TYPE_I32, abi.HL_TYPE_I32]));
  return Buffer.concat(parts);
})();

/** Message headers and values: random bytes and mutated valid messages. */
export function fuzzMessage(seed: number): Outcome {
  const r = rng(seed);
  const msg = Buffer.concat([Buffer.from([abi.HL_MSG_FUNCTIONS, 0, 0, 0, table.length & 255, table.length >> 8, 0, 0]), table]);
  const input = seed % 4 === 0 ? Buffer.from(Array.from({ length: r() % 128 }, () => r() & 255)) : mutate(msg, r, 8);
  try {
    // A value stream read to its end: only ABI_VIOLATION may stop it.
    const values = new Reader(input.subarray(8));
    for (let i = 0; i < 8; i++) values.value(1024);
  } catch (err) {
    expectOnly(err, ['ABI_VIOLATION']);
  }
  try {
    const m = readMessage(input);
    readFunctionTable(m.reader, m.kind);
    return 'ok';
  } catch (err) {
    // A mutated name that is no longer an identifier makes the image invalid.
    return expectOnly(err, ['ABI_VIOLATION', 'INVALID_GUEST']);
  }
}

const elf = readFileSync(simpleguest);

/** The ELF loader: mutations of the header and program headers, and truncations. */
export function fuzzElf(seed: number): { outcome: Outcome; image?: Buffer } {
  const r = rng(seed);
  const b = mutate(elf, r, 6, seed % 2 === 0 ? 64 + 56 * 5 : elf.length);
  try {
    parseGuestImage(b);
    return { outcome: 'ok', image: b };
  } catch (err) {
    return { outcome: expectOnly(err, ['INVALID_GUEST']) };
  }
}

/** Boots a loadable mutated image: it may fault, break the ABI or time out, never more. */
export async function bootImage(image: Buffer): Promise<Outcome> {
  try {
    const sb = await Sandbox.create(image, { timeoutMs: 200 });
    await sb.call('Echo', ['fuzz'], { timeoutMs: 200 }).catch((err) => expectOnly(err, CALL_CODES));
    sb.dispose();
    return 'ok';
  } catch (err) {
    return expectOnly(err, [...CALL_CODES, 'INVALID_GUEST']);
  }
}

const CALL_CODES = ['ABI_VIOLATION', 'GUEST_FAULT', 'GUEST_ABORTED', 'CANCELLED', 'GUEST_ERROR', 'UNKNOWN_FUNCTION', 'USAGE'];

/** End to end: the hostile guest sends a mutated message on a random port. */
export async function fuzzGuest(sb: Sandbox, seed: number): Promise<Outcome> {
  try {
    await sb.call('Fuzz', [BigInt(seed)], { timeoutMs: 1000 });
    return 'ok';
  } catch (err) {
    const code = expectOnly(err, CALL_CODES);
    if (sb.poisoned) sb.restore();
    return code;
  }
}

export function fuzzSandbox(): Promise<Sandbox> {
  // The decoders still read every log record the guest forces out; printing thousands is noise.
  configureLogging(false);
  return Sandbox.create(guest('hostile'), { hostFunctions, observer: { onGuestLog: () => undefined } });
}
