// messages.ts: the payload of each message kind (hl_abi.h), decoded from the
// guest's output buffer or encoded for its reply buffer. codec.ts frames and
// checks the fields; this file says which fields each kind has. Everything
// decoded here is guest-written: every string is bounded, every message must
// end exactly after its last field.
import * as abi from './constants';
import { type Reader, Writer, readMessage, violation, type Message } from './codec';
import { type FunctionSignature, type JsValue, type ValueType, typeFromCode } from './types';
import { GuestError } from '../errors';

/** Longest file name a guest log record may carry. */
export const MAX_LOG_FILE_LEN = 4096;

/**
 * Reads the message at the start of a guest buffer: its header first (so a
 * length past the buffer is refused before anything else is copied), then
 * exactly the message. `read` is a bounds-checked read of guest memory.
 */
export function readGuestMessage(read: (addr: number, len: number) => Buffer, region: { addr: number; size: number }): Message {
  const head = read(region.addr, abi.HlMsgSize);
  const len = head.readUInt32LE(abi.HlMsgOffsets.len);
  if (len > region.size - abi.HlMsgSize) throw violation(`message length ${len} runs past the ${region.size}-byte output buffer`);
  return readMessage(read(region.addr, abi.HlMsgSize + len));
}

/** The result message of a call: a value of the declared type, or the guest's error (thrown as GuestError). */
export function decodeResult(kind: number, r: Reader, sig: FunctionSignature): JsValue {
  if (kind === abi.HL_MSG_ERROR) {
    const code = r.i32();
    r.reserved();
    const text = r.string().slice(0, abi.HL_MAX_ERROR_MSG_LEN);
    r.end(`the error of ${sig.name}`);
    throw new GuestError(code, text, sig.name);
  }
  if (kind !== abi.HL_MSG_RESULT) throw violation(`message kind ${kind} where a result was expected`);
  const v = r.value();
  r.end(`the result of ${sig.name}`);
  if (v.type !== sig.returns) throw violation(`${sig.name} returned a ${v.type}, but declares ${sig.returns}`);
  return v.value;
}

export interface AbortRecord {
  code: number;
  /** At most HL_MAX_ERROR_MSG_LEN characters. */
  message: string;
}

export function decodeAbort(kind: number, r: Reader): AbortRecord {
  if (kind !== abi.HL_MSG_ABORT) throw violation(`message kind ${kind} on the abort port`);
  const code = r.i32();
  r.reserved();
  const message = r.string().slice(0, abi.HL_MAX_ERROR_MSG_LEN);
  r.end('the abort message');
  return { code, message };
}

export interface LogRecord {
  /** HL_LOG_TRACE .. HL_LOG_CRITICAL. */
  level: number;
  line: number;
  message: string;
  file: string;
}

export function decodeLogRecord(kind: number, r: Reader): LogRecord {
  if (kind !== abi.HL_MSG_LOG) throw violation(`message kind ${kind} on the log port`);
  const level = r.u32();
  const line = r.u32();
  const message = r.string();
  const file = r.string(MAX_LOG_FILE_LEN);
  r.end('a log record');
  if (level > abi.HL_LOG_CRITICAL) throw violation(`log level ${level}`);
  return { level, line, message, file };
}

export interface HostCallRequest {
  name: string;
  /** The return type the guest expects; undefined when its code is unknown (`returnCode` has it). */
  returns: ValueType | undefined;
  returnCode: number;
  args: { type: ValueType; value: JsValue }[];
}

export function decodeHostCall(kind: number, r: Reader): HostCallRequest {
  if (kind !== abi.HL_MSG_HOSTCALL) throw violation(`message kind ${kind} on the host-call port`);
  const argc = r.u32();
  const returnCode = r.u32();
  const name = r.string(abi.HL_MAX_NAME_LEN);
  if (argc > abi.HL_MAX_ARGS) throw violation(`host call with ${argc} arguments`);
  const args = Array.from({ length: argc }, () => r.value());
  r.end(`the arguments of host function ${name}`);
  return { name, returns: typeFromCode(returnCode), returnCode, args };
}

/** A host function's result for the reply buffer (throws TOO_LARGE-style usage errors from Writer). */
export function encodeHostResult(capacity: number, fn: string, type: ValueType, value: JsValue): Buffer {
  return new Writer(capacity, `the reply of host function ${fn}`, 'replySize').value(type, value).finish(abi.HL_MSG_RESULT);
}

/** A host function's failure for the reply buffer: the guest sees HL_ERR_HOST_FUNCTION and the text. */
export function encodeHostError(capacity: number, text: string): Buffer {
  return new Writer(capacity, 'a host error').u32(abi.HL_ERR_HOST_FUNCTION).u32(0).value('string', text).finish(abi.HL_MSG_ERROR);
}
