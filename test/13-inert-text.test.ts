// hl-test: no-kvm
// The character set hl escapes in guest text (src/inert-text.ts), checked
// against Unicode's own properties as V8 knows them (no KVM). The terminal
// paths that use it are tested in a real pseudo-terminal by test/84-cli-terminal-text.
import t from 'tap';
import { INERT_ESCAPED, escapeBeyondJson, escapeControl, escapeControlKeepLines, jsonText } from '../src/inert-text';

/** Kept on purpose: real text needs them (Persian, Indic scripts, emoji sequences, CJK and Mongolian variants). */
const KEPT = /^[\u180b-\u180f\u200c\u200d\ufe00-\ufe0f\u{e0100}-\u{e01ef}]$/u;

/** Every code point (no lone surrogates) matching `re`. */
function codePoints(re: RegExp): string[] {
  const out: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const ch = String.fromCodePoint(c);
    if (re.test(ch)) out.push(ch);
  }
  return out;
}

const hex = (ch: string) => ch.codePointAt(0)!.toString(16);

t.test("every Bidi_Control and Default_Ignorable character is escaped, but the joiners and variation selectors", async (t) => {
  const wanted = codePoints(/^[\p{Bidi_Control}\p{Default_Ignorable_Code_Point}\ufff9-\ufffb]$/u).filter((ch) => !KEPT.test(ch));
  const missed = wanted.filter((ch) => escapeControl(ch) === ch).map(hex);
  t.same(missed, [], 'escaped on a terminal');
  t.same(wanted.filter((ch) => escapeControlKeepLines(ch) === ch).map(hex), [], 'escaped in HostPrint output');
  t.same(wanted.filter((ch) => escapeBeyondJson(ch) === ch).map(hex), [], 'escaped in JSON text');
  t.same(wanted.filter((ch) => ch.replace(INERT_ESCAPED, '') === ch).map(hex), [], 'in the shared set');
  const kept = codePoints(KEPT);
  t.same(kept.filter((ch) => escapeControl(ch) !== ch).map(hex), [], 'joiners and variation selectors stay');
  const family = '👨\u200d👩\u200d👧 ❤\ufe0f';
  t.equal(escapeControl(family), family, 'emoji sequences read as they are');
});

t.test('the marks and invisible characters of a hostile string are shown escaped', async (t) => {
  const hostile = 'ok\u200e\u200f\u061c\ufeff\ufff9\ufffa\ufffb\u202e\u2067\u200b\u00ad\u2060\u{e0041}\u{e007f}';
  const shown = '\\u200e\\u200f\\u061c\\ufeff\\ufff9\\ufffa\\ufffb\\u202e\\u2067\\u200b\\xad\\u2060\\u{e0041}\\u{e007f}';
  t.equal(escapeControl(hostile), 'ok' + shown);
  t.equal(escapeControlKeepLines(`${hostile}\n\tnext\r`), `ok${shown}\n\tnext\\r`, 'newlines and tabs kept, CR escaped');
  const json = jsonText({ v: hostile }, 2);
  t.notMatch(json, /[^\x20-\x7e\n]/, 'JSON text is printable ASCII (a tag character as a surrogate pair escape)');
  t.match(json, /\\udb40\\udc41/);
  t.equal(JSON.parse(json).v, hostile, 'and parses to the same value');
});
