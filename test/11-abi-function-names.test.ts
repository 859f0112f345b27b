// hl-test: no-kvm
// Function names are identifiers (hl_abi.h): a function table with any other
// name makes the image invalid, whatever the guest meant by it. No KVM needed.
import t from 'tap';
import * as abi from '../src/abi/constants';
import { Writer, readMessage } from '../src/abi/codec';
import { readFunctionTable } from '../src/abi/function-table';
import { isFunctionName } from '../src/abi/function-name';

/** A FUNCTIONS message registering `names`, each as string f(string). */
function table(names: string[]): Buffer {
  const w = new Writer(1 << 20, 'table').u32(names.length).u32(0);
  for (const n of names) w.value('string', n).value('bytes', Uint8Array.of(abi.HL_TYPE_STRING, abi.HL_TYPE_STRING));
  return w.finish(abi.HL_MSG_FUNCTIONS);
}
const read = (names: string[]) => {
  const m = readMessage(table(names));
  return readFunctionTable(m.reader, m.kind);
};

t.test('identifiers are accepted; any other name is INVALID_GUEST, shown escaped on one line', async (t) => {
  const ok = ['Echo', '_private', 'a', 'Add2', 'snake_case_9', 'X'.repeat(abi.HL_MAX_NAME_LEN)];
  t.same(read(ok).map((f) => f.name), ok);
  const hostile: [string, string][] = [
    ['$(touch /tmp/hl-pwned)', '$(touch /tmp/hl-pwned)'],
    ['`touch x`', '`touch x`'],
    ['Forged\nhl: error: forged', 'Forged\\nhl: error: forged'],
    ['\x1b]0;title\x07\x1b[2J', '\\x1b]0;title\\x07\\x1b[2J'],
    ['Ret\rurn', 'Ret\\rurn'],
    ['C1\u009b2J', 'C1\\x9b2J'],
    ['bidi\u202eevil', 'bidi\\u202eevil'],
    ['with space', 'with space'],
    ['semi;colon', 'semi;colon'],
    ['dash-name', 'dash-name'],
    ['9lives', '9lives'],
    ['Ünïcode', 'Ünïcode'],
    ['', ''],
  ];
  for (const [name, shown] of hostile) {
    t.equal(isFunctionName(name), false, JSON.stringify(name));
    let err: any;
    try {
      read(['Echo', name]);
    } catch (e) {
      err = e;
    }
    t.equal(err?.code, 'INVALID_GUEST', `${JSON.stringify(name)}: INVALID_GUEST`);
    t.equal(err?.message, `not a valid hl guest: function name "${shown}" is not an identifier (ASCII letters, digits and _, not starting with a digit, at most ${abi.HL_MAX_NAME_LEN} bytes)`);
    t.notMatch(err?.message ?? '', /[\x00-\x1f\x7f-\x9f\u202e]/, 'no control character in the message');
  }
});
