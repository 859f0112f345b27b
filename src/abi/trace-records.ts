// trace-records.ts: decodes the guest's span records (hl_abi.h, "Guest spans").
// Hostile input: every length is checked; a malformed buffer yields what was
// well formed before it, and says so.
import * as abi from './constants';

export interface TraceRecord {
  kind: number;
  span: number;
  parent: number;
  tsc: bigint;
  name: string;
  value?: string;
}

export interface TraceBuffer {
  startTsc: bigint;
  dropped: number;
  records: TraceRecord[];
  malformed?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/** `head` is the 16-byte header; `body` the `used` bytes after it (already bounded by the caller). */
export function decodeTraceBuffer(head: Buffer, body: Buffer): TraceBuffer {
  const out: TraceBuffer = { startTsc: head.readBigUInt64LE(abi.HlTraceHeaderOffsets.start_tsc), dropped: head.readUInt32LE(abi.HlTraceHeaderOffsets.dropped), records: [] };
  const R = abi.HlTraceRecordOffsets;
  let pos = 0;
  while (pos < body.length) {
    if (body.length - pos < abi.HlTraceRecordSize) return { ...out, malformed: 'record header cut short' };
    const kind = body[pos + R.kind];
    const len = body.readUInt16LE(pos + R.len);
    const start = pos + abi.HlTraceRecordSize;
    if (len > body.length - start) return { ...out, malformed: `record length ${len} runs past the buffer` };
    if (kind < abi.HL_TRACE_BEGIN || kind > abi.HL_TRACE_ATTR) return { ...out, malformed: `record kind ${kind}` };
    const payload = body.subarray(start, start + len);
    const nul = kind === abi.HL_TRACE_ATTR ? payload.indexOf(0) : -1;
    out.records.push({
      kind,
      span: body.readUInt32LE(pos + R.span),
      parent: body.readUInt32LE(pos + R.parent),
      tsc: body.readBigUInt64LE(pos + R.tsc),
      name: utf8.decode(nul >= 0 ? payload.subarray(0, nul) : payload).slice(0, abi.HL_MAX_SPAN_NAME_LEN),
      value: nul >= 0 ? utf8.decode(payload.subarray(nul + 1)) : undefined,
    });
    pos = start + ((len + 7) & ~7);
  }
  return out;
}
