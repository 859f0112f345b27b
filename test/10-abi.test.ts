// hl-test: no-kvm
// The generated TS constants match what the C compiler sees in hl_abi.h.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import * as abi from '../src/abi/constants';
import { Reader, Writer, encodeCall, valueSpan } from '../src/abi/codec';
import { readFunctionTable } from '../src/abi/function-table';
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

t.test('framing is strict: padding, reserved bytes, trailing bytes, lengths', (t) => {
  // A value: header (type, 3 reserved, len), payload, zero padding to HL_VALUE_SPAN(len).
  const value = (type: number, payload: number[], o: { len?: number; reserved?: number; span?: number; pad?: number } = {}) => {
    const len = o.len ?? payload.length;
    const b = Buffer.alloc(o.span ?? valueSpan(len), o.pad ?? 0);
    b[0] = type;
    b.fill(0, 1, 4);
    b[1] = o.reserved ?? 0;
    b.writeUInt32LE(len, 4);
    Buffer.from(payload).copy(b, 8);
    if (o.pad === undefined) b.fill(0, 8 + payload.length);
    return b;
  };
  const str = (s: string) => [...Buffer.from(s)];
  const i32 = (n: number) => [n & 255, (n >> 8) & 255, (n >> 16) & 255, n >>> 24];
  const zero = [0, 0, 0, 0];
  // [name, message body, how it is read, expected: a value, or the violation's message]
  const rows: [string, Buffer, (r: Reader) => unknown, unknown][] = [
    ['a padded string', value(abi.HL_TYPE_STRING, str('ok')), (r) => r.string(), 'ok'],
    ['an empty string: 8 bytes of padding', value(abi.HL_TYPE_STRING, []), (r) => r.string(), ''],
    ['a 7-byte string: 1 byte of padding', value(abi.HL_TYPE_STRING, str('1234567')), (r) => r.string(), '1234567'],
    ['an 8-byte string: 8 bytes of padding', value(abi.HL_TYPE_STRING, str('12345678')), (r) => r.string(), '12345678'],
    ['a string without its padding', value(abi.HL_TYPE_STRING, str('ok'), { span: 10 }), (r) => r.string(), /lacks its padding/],
    ['an 8-byte string without its NUL', value(abi.HL_TYPE_STRING, str('12345678'), { span: 16 }), (r) => r.string(), /lacks its padding/],
    ['bytes whose padding is cut short', value(abi.HL_TYPE_BYTES, [1, 2, 3], { span: 12 }), (r) => r.value(), /lacks its padding/],
    ['an int32 without padding', value(abi.HL_TYPE_I32, i32(5), { span: 12 }), (r) => r.value(), /lacks its padding/],
    ['a string shorter than its bytes', value(abi.HL_TYPE_STRING, str('okhidden'), { len: 2, span: 16 }), (r) => r.string(), /non-zero padding/],
    ['non-zero padding', value(abi.HL_TYPE_BYTES, [1], { pad: 0xff }), (r) => r.value(), /non-zero padding/],
    ['reserved header bytes set', value(abi.HL_TYPE_I32, i32(5), { reserved: 1 }), (r) => r.value(), /reserved bytes/],
    ['a length beyond the message', value(abi.HL_TYPE_STRING, str('ok'), { len: 4096, span: 16 }), (r) => r.string(), /runs past its message/],
    ['a length of 2^32-1', value(abi.HL_TYPE_BYTES, [], { len: 0xffffffff, span: 16 }), (r) => r.value(), /runs past its message/],
    ['a result read to its end', value(abi.HL_TYPE_I32, i32(7)), (r) => [r.value().value, r.end('the result')][0], 7],
    ['a result with trailing bytes', Buffer.concat([value(abi.HL_TYPE_I32, i32(7)), Buffer.alloc(8)]), (r) => (r.value(), r.end('the result')), /8 bytes trailing the result/],
    ['one trailing byte', Buffer.concat([value(abi.HL_TYPE_VOID, []), Buffer.alloc(1)]), (r) => (r.value(), r.end('the result')), /1 byte trailing the result/],
    ['a zero reserved field', Buffer.from([...zero]), (r) => r.reserved(), undefined],
    ['a non-zero reserved field', Buffer.from([...i32(1)]), (r) => r.reserved(), /reserved message field/],
  ];
  for (const [name, body, read, want] of rows) {
    const r = new Reader(body);
    if (want instanceof RegExp) t.throws(() => read(r), { code: 'ABI_VIOLATION', message: want }, name);
    else t.same(read(r), want, name);
  }
  t.end();
});

t.test('a function table is read to its last byte', (t) => {
  // A function table as the SDK's hl_start_c writes it, read by the host's decoder.
  const w = new Writer(4096, 'table').u32(1).u32(0).value('string', 'Add').value('bytes', Uint8Array.of(abi.HL_TYPE_I32, abi.HL_TYPE_I32, abi.HL_TYPE_I32));
  const msg = w.finish(abi.HL_MSG_FUNCTIONS);
  t.same(readFunctionTable(new Reader(msg.subarray(8)), abi.HL_MSG_FUNCTIONS), [{ name: 'Add', returns: 'int32', params: ['int32', 'int32'] }]);
  const trailing = Buffer.concat([msg.subarray(8), Buffer.alloc(8)]);
  t.throws(() => readFunctionTable(new Reader(trailing), abi.HL_MSG_FUNCTIONS), { code: 'ABI_VIOLATION', message: /trailing the function table/ });
  t.end();
});
