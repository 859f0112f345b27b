// The generated TS constants match what the C compiler sees in hl_abi.h.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import * as abi from '../src/abi/constants';
import { Reader, encodeCall, valueSpan } from '../src/abi/codec';
import { root } from './helpers';

t.test('struct layouts and constants agree with gcc', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hl-abi-'));
  const src = path.join(dir, 'layout.c');
  const fields = Object.keys(abi.HlPebOffsets).map((f) => `printf("peb.${f} %zu\\n", offsetof(struct hl_peb, ${f}));`).join('\n');
  writeFileSync(
    src,
    `#include <stdio.h>
#include <stddef.h>
#include "hl/hl_abi.h"
int main(void) {
  printf("peb %zu\\nnote %zu\\nmsg %zu\\nvalue %zu\\n", sizeof(struct hl_peb), sizeof(struct hl_guest_note), sizeof(struct hl_msg), sizeof(struct hl_value));
  printf("trace_header %zu\\ntrace_record %zu\\nrecord.len %zu\\nrecord.tsc %zu\\n", sizeof(struct hl_trace_header), sizeof(struct hl_trace_record), offsetof(struct hl_trace_record, len), offsetof(struct hl_trace_record, tsc));
  printf("version %d\\nport_done %d\\nport_hostcall %d\\nspan5 %u\\n", HL_ABI_VERSION, HL_PORT_DONE, HL_PORT_HOSTCALL, HL_VALUE_SPAN(5));
  ${fields}
  return 0;
}`,
  );
  execFileSync('gcc', ['-I', path.join(root, 'guests/sdk/include'), '-o', path.join(dir, 'layout'), src]);
  const out = Object.fromEntries(
    execFileSync(path.join(dir, 'layout'), { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ')),
  );
  t.equal(Number(out.peb), abi.HlPebSize);
  t.equal(Number(out.note), abi.HlGuestNoteSize);
  t.equal(Number(out.msg), abi.HlMsgSize);
  t.equal(Number(out.value), abi.HlValueSize);
  t.equal(Number(out.version), abi.HL_ABI_VERSION);
  t.equal(Number(out.port_done), abi.HL_PORT_DONE);
  t.equal(Number(out.port_hostcall), abi.HL_PORT_HOSTCALL);
  t.equal(Number(out.span5), valueSpan(5));
  t.equal(Number(out.trace_header), abi.HlTraceHeaderSize);
  t.equal(Number(out.trace_record), abi.HlTraceRecordSize);
  t.equal(Number(out['record.len']), abi.HlTraceRecordOffsets.len);
  t.equal(Number(out['record.tsc']), abi.HlTraceRecordOffsets.tsc);
  for (const [f, off] of Object.entries(abi.HlPebOffsets)) t.equal(Number(out[`peb.${f}`]), off, `offset of peb.${f}`);
  t.end();
});

t.test('a call message decodes back to what was encoded', (t) => {
  const msg = encodeCall(4096, 'Add', [
    { type: 'int32', value: -7 },
    { type: 'string', value: 'héllo' },
    { type: 'uint64', value: 2n ** 64n - 1n },
  ]);
  t.equal(msg.readUInt32LE(0), abi.HL_MSG_CALL);
  t.equal(msg.readUInt32LE(4), msg.length - 8);
  const r = new Reader(msg.subarray(8));
  t.equal(r.u32(), 3);
  r.u32();
  t.equal(r.string(), 'Add');
  t.same(r.value(), { type: 'int32', value: -7 });
  t.same(r.value(), { type: 'string', value: 'héllo' });
  t.same(r.value(), { type: 'uint64', value: 2n ** 64n - 1n });
  t.throws(() => r.value(), { code: 'ABI_VIOLATION' }, 'reading past the end is refused');
  t.end();
});

t.test('hostile values are refused with ABI_VIOLATION', (t) => {
  const value = (type: number, len: number, payload: number[] = []) => {
    const b = Buffer.alloc(8 + Math.max(8, payload.length + 8));
    b[0] = type;
    b.writeUInt32LE(len, 4);
    Buffer.from(payload).copy(b, 8);
    return new Reader(b);
  };
  t.throws(() => value(abi.HL_TYPE_STRING, 0xffffffff).value(), { code: 'ABI_VIOLATION' }, 'length past the message');
  t.throws(() => value(42, 0).value(), { code: 'ABI_VIOLATION' }, 'unknown type');
  t.throws(() => value(abi.HL_TYPE_I32, 3, [1, 2, 3]).value(), { code: 'ABI_VIOLATION' }, 'wrong scalar size');
  t.throws(() => value(abi.HL_TYPE_BOOL, 1, [2]).value(), { code: 'ABI_VIOLATION' }, 'bool out of range');
  t.throws(() => value(abi.HL_TYPE_STRING, 2, [0xc3, 0x28]).value(), { code: 'ABI_VIOLATION' }, 'invalid UTF-8');
  t.throws(() => value(abi.HL_TYPE_STRING, 4, [0x61, 0x61, 0x61, 0x61]).value(3), { code: 'ABI_VIOLATION' }, 'over the caller limit');
  t.end();
});
