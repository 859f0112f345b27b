// codec.ts: encodes host messages and decodes guest messages (hl_abi.h).
// Everything decoded here comes from the guest and is hostile: each read is
// checked against the message, each message against its buffer.
import * as abi from './constants';
import { type JsValue, type ValueType, typeCode, typeFromCode } from './types';
import { ErrorCode, HlError } from '../errors';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const MAX_U32 = 0xffffffff;

export function violation(message: string): HlError {
  return new HlError(ErrorCode.AbiViolation, `guest broke the ABI: ${message}`);
}

/** Bytes a value of `len` payload bytes occupies: header, payload, >= 1 NUL, to a multiple of 8 (HL_VALUE_SPAN). */
export function valueSpan(len: number): number {
  return abi.HlValueSize + ((len + 1 + 7) & ~7);
}

// ---- encoding (host -> guest) ----

export class Writer {
  private buf: Buffer;
  private pos = abi.HlMsgSize;

  /** `raise` names the option that sizes the buffer ("inputSize, --input-size on the CLI"). */
  constructor(capacity: number, private readonly what: string, private readonly raise = 'the buffer size') {
    this.buf = Buffer.alloc(Math.min(capacity, 4096));
    this.cap = capacity;
  }
  private readonly cap: number;

  private ensure(n: number): void {
    if (this.pos + n > this.cap) {
      throw new HlError(ErrorCode.Usage, `${this.what} does not fit in its ${this.cap}-byte buffer (raise ${this.raise})`);
    }
    if (this.pos + n > this.buf.length) {
      const next = Buffer.alloc(Math.min(this.cap, Math.max(this.buf.length * 2, this.pos + n)));
      this.buf.copy(next);
      this.buf = next;
    }
  }

  u32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }

  value(type: ValueType, v: JsValue): this {
    let payload: Uint8Array;
    switch (type) {
      case 'void': payload = new Uint8Array(0); break;
      case 'int32': payload = Buffer.alloc(4); (payload as Buffer).writeInt32LE(v as number); break;
      case 'uint32': payload = Buffer.alloc(4); (payload as Buffer).writeUInt32LE(v as number); break;
      case 'int64': payload = Buffer.alloc(8); (payload as Buffer).writeBigInt64LE(v as bigint); break;
      case 'uint64': payload = Buffer.alloc(8); (payload as Buffer).writeBigUInt64LE(v as bigint); break;
      case 'float': payload = Buffer.alloc(4); (payload as Buffer).writeFloatLE(v as number); break;
      case 'double': payload = Buffer.alloc(8); (payload as Buffer).writeDoubleLE(v as number); break;
      case 'bool': payload = Uint8Array.of(v ? 1 : 0); break;
      case 'string': payload = Buffer.from(v as string, 'utf8'); break;
      case 'bytes': payload = v as Uint8Array; break;
    }
    const total = valueSpan(payload.length);
    this.ensure(total);
    this.buf[this.pos] = typeCode(type);
    this.buf.writeUInt32LE(payload.length, this.pos + abi.HlValueOffsets.len);
    this.buf.set(payload, this.pos + abi.HlValueSize);
    this.buf.fill(0, this.pos + abi.HlValueSize + payload.length, this.pos + total);
    this.pos += total;
    return this;
  }

  /** The finished message with its header. */
  finish(kind: number): Buffer {
    this.buf.writeUInt32LE(kind, 0);
    this.buf.writeUInt32LE(this.pos - abi.HlMsgSize, 4);
    return this.buf.subarray(0, this.pos);
  }
}

export function encodeCall(capacity: number, name: string, args: { type: ValueType; value: JsValue }[]): Buffer {
  const w = new Writer(capacity, 'the call and its arguments', 'inputSize, --input-size on the CLI');
  w.u32(args.length).u32(0).value('string', name);
  for (const a of args) w.value(a.type, a.value);
  return w.finish(abi.HL_MSG_CALL);
}

// ---- decoding (guest -> host) ----

export interface Message {
  kind: number;
  reader: Reader;
}

/** Checks the header of the message at the start of `buf` (a copy of a guest buffer). */
export function readMessage(buf: Buffer): Message {
  if (buf.length < abi.HlMsgSize) throw violation('buffer smaller than a message header');
  const kind = buf.readUInt32LE(0);
  const len = buf.readUInt32LE(4);
  if (len > buf.length - abi.HlMsgSize) {
    throw violation(`message length ${len} runs past the ${buf.length}-byte output buffer`);
  }
  return { kind, reader: new Reader(buf.subarray(abi.HlMsgSize, abi.HlMsgSize + len)) };
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  u32(): number {
    if (this.buf.length - this.pos < 4) throw violation('message ends inside a field');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    return this.u32() | 0;
  }

  /** One value; `maxLen` bounds strings and bytes. */
  value(maxLen = MAX_U32): { type: ValueType; value: JsValue } {
    if (this.buf.length - this.pos < abi.HlValueSize) throw violation('message ends inside a value header');
    const code = this.buf[this.pos];
    const len = this.buf.readUInt32LE(this.pos + abi.HlValueOffsets.len);
    const type = typeFromCode(code);
    if (type === undefined) throw violation(`unknown value type ${code}`);
    const start = this.pos + abi.HlValueSize;
    if (len > this.buf.length - start) throw violation(`value length ${len} runs past its message`);
    if (len > maxLen) throw violation(`value of ${len} bytes exceeds the limit of ${maxLen}`);
    // Strict framing: zero reserved bytes, and the whole span (payload plus
    // its zero padding) inside the message, so a value means exactly one thing.
    if (this.buf[this.pos + 1] | this.buf[this.pos + 2] | this.buf[this.pos + 3]) throw violation('reserved bytes of a value header are not zero');
    const end = this.pos + valueSpan(len);
    if (end > this.buf.length) throw violation(`${type} value of length ${len} lacks its padding: it needs ${valueSpan(len)} bytes, the message has ${this.buf.length - this.pos} left`);
    for (let i = start + len; i < end; i++) {
      if (this.buf[i] !== 0) throw violation(`${type} value of length ${len} is followed by non-zero padding (its declared length does not match its bytes)`);
    }
    const p = this.buf.subarray(start, start + len);
    this.pos = end;
    const need = (n: number) => {
      if (len !== n) throw violation(`${type} value with length ${len}`);
    };
    switch (type) {
      case 'void': need(0); return { type, value: undefined };
      case 'int32': need(4); return { type, value: p.readInt32LE(0) };
      case 'uint32': need(4); return { type, value: p.readUInt32LE(0) };
      case 'int64': need(8); return { type, value: p.readBigInt64LE(0) };
      case 'uint64': need(8); return { type, value: p.readBigUInt64LE(0) };
      case 'float': need(4); return { type, value: p.readFloatLE(0) };
      case 'double': need(8); return { type, value: p.readDoubleLE(0) };
      case 'bool':
        need(1);
        if (p[0] > 1) throw violation(`bool value ${p[0]}`);
        return { type, value: p[0] === 1 };
      case 'string':
        try {
          return { type, value: utf8.decode(p) };
        } catch {
          throw violation('string is not valid UTF-8');
        }
      case 'bytes': return { type, value: Buffer.from(p) };
    }
  }

  /** A reserved u32 of a message (the `0` of ERROR, ABORT, FUNCTIONS): must be zero. */
  reserved(): void {
    if (this.u32() !== 0) throw violation('a reserved message field is not zero');
  }

  /** Ends a message: a byte past its last field is a violation, not ignored. */
  end(what: string): void {
    const left = this.buf.length - this.pos;
    if (left !== 0) throw violation(`${left} byte${left === 1 ? '' : 's'} trailing ${what}`);
  }

  string(maxLen?: number): string {
    const v = this.value(maxLen);
    if (v.type !== 'string') throw violation(`expected a string, found ${v.type}`);
    return v.value as string;
  }
}
