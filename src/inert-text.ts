// inert-text.ts: guest-chosen text made harmless for a terminal or a JSON
// line. The one place the CLI, the log formatter and the trace tree escape
// what a guest wrote (docs/security.md, "Guest text on the host").

// C0 controls, DEL and C1 controls (U+009B is CSI on terminals that honour
// 8-bit controls), the line and paragraph separators, every bidirectional
// control (Unicode's Bidi_Control: the embeddings, overrides and isolates, and
// the marks U+200E/U+200F/U+061C, which reorder what the reader sees: "Trojan
// source"), and the invisible characters of Unicode's Default_Ignorable_Code_Point
// plus the interlinear annotation controls U+FFF9-U+FFFB, which hide text
// (soft hyphen, zero-width space, word joiner and invisible operators, BOM,
// Hangul fillers, tag characters U+E0000-U+E007F). Kept, because real text
// needs them: the zero-width (non-)joiners U+200C/U+200D (Persian, Indic
// scripts, emoji sequences) and the variation selectors (U+180B-U+180F,
// U+FE00-U+FE0F, U+E0100-U+E01EF: emoji presentation, CJK and Mongolian forms).
const C0 = '\u0000-\u001f';
const REST = [
  '\u007f-\u009f', // DEL, C1
  '\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5', // soft hyphen, CGJ, Arabic letter mark, Hangul fillers, Khmer inherent vowels
  '\u200b\u200e\u200f', // zero-width space, LRM, RLM
  '\u2028\u2029', // line and paragraph separators
  '\u202a-\u202e', // bidi embeddings and overrides
  '\u2060-\u206f', // word joiner, invisible operators, bidi isolates, deprecated format controls
  '\u3164\ufeff\uffa0', // Hangul filler, BOM / zero-width no-break space, halfwidth Hangul filler
  '\ufff0-\ufffb', // reserved default-ignorables, interlinear annotation controls
  '\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}', // shorthand and musical format controls
  '\u{e0000}-\u{e00ff}\u{e01f0}-\u{e0fff}', // tag characters and the unassigned default-ignorables around the variation selectors
].join('');

/**
 * Every character hl escapes in guest text, as a global regular expression
 * (use it with String.replace only: a global RegExp keeps state in .test).
 * The metrics' label values (series-limit.ts) replace the same set.
 */
export const INERT_ESCAPED = new RegExp(`[${C0}${REST}]`, 'gu');
const BUT_LINES = new RegExp(`(?![\n\t])[${C0}${REST}]`, 'gu');
/** All but C0, which JSON.stringify escapes already (and the newlines of pretty JSON must stay). */
const BEYOND_JSON = new RegExp(`[${REST}]`, 'gu');

function escapeOne(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const n = c.codePointAt(0)!;
  if (n > 0xffff) return `\\u{${n.toString(16)}}`;
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** `c` as JSON \uXXXX escapes (a surrogate pair for a character beyond U+FFFF). */
function jsonEscape(c: string): string {
  let out = '';
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/**
 * One line of inert text: every control character (escape sequences, CR,
 * newlines that would forge extra lines, bidi controls) and invisible
 * character shown as \n, \x1b, \u202e, \u{e0041}, ... instead of acting on
 * the terminal or hiding from the reader.
 */
export function escapeControl(text: string): string {
  return text.replace(INERT_ESCAPED, escapeOne);
}

/**
 * Guest output that is meant to be lines (HostPrint): newlines and tabs kept,
 * every other control escaped, so it can add lines but never move the cursor,
 * rewrite or erase what is on the screen, or talk to the terminal.
 */
export function escapeControlKeepLines(text: string): string {
  return text.replace(BUT_LINES, escapeOne);
}

/**
 * JSON.stringify, with DEL, C1 controls, U+2028/U+2029, bidi controls and
 * invisible characters written as \uXXXX as well (JSON.stringify leaves them raw). They can only
 * occur inside JSON strings, so the document parses to the same value.
 */
export function jsonText(value: unknown, space?: number): string {
  return escapeBeyondJson(JSON.stringify(value, null, space));
}

/**
 * The characters JSON.stringify leaves raw (DEL, C1, U+2028/U+2029, bidi,
 * invisible) as \uXXXX: for JSON text, or a line whose values were JSON-quoted (pretty logs).
 */
export function escapeBeyondJson(text: string): string {
  return text.replace(BEYOND_JSON, jsonEscape);
}

/** Text for a stream: inert (newlines kept) when the stream is a terminal, exact bytes otherwise. */
export function forTerminal(text: string, stream: { isTTY?: boolean }): string {
  return stream.isTTY ? escapeControlKeepLines(text) : text;
}
