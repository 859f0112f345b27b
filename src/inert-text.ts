// inert-text.ts: guest-chosen text made harmless for a terminal or a JSON
// line. The one place the CLI, the log formatter and the trace tree escape
// what a guest wrote (docs/security.md, "Guest text on the host").

// C0 controls, DEL and C1 controls (U+009B is CSI on terminals that honour
// 8-bit controls), the line and paragraph separators, and the bidirectional
// overrides and isolates, which reorder what the reader sees ("Trojan source").
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(c: string): string {
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/**
 * One line of inert text: every control character (escape sequences, CR,
 * newlines that would forge extra lines, bidi overrides) shown as \n, \x1b,
 * \u202e, ... instead of acting on the terminal.
 */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/**
 * Guest output that is meant to be lines (HostPrint): newlines and tabs kept,
 * every other control escaped, so it can add lines but never move the cursor,
 * rewrite or erase what is on the screen, or talk to the terminal.
 */
export function escapeControlKeepLines(text: string): string {
  return text.replace(CONTROL_BUT_LINES, escapeOne);
}

/**
 * JSON.stringify, with DEL, C1 controls, U+2028/U+2029 and bidi controls
 * written as \uXXXX as well (JSON.stringify leaves them raw). They can only
 * occur inside JSON strings, so the document parses to the same value.
 */
export function jsonText(value: unknown, space?: number): string {
  return escapeBeyondJson(JSON.stringify(value, null, space));
}

/**
 * The controls JSON.stringify leaves raw (DEL, C1, U+2028/U+2029, bidi) as
 * \uXXXX: for JSON text, or a line whose values were JSON-quoted (pretty logs).
 */
export function escapeBeyondJson(text: string): string {
  return text.replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text for a stream: inert (newlines kept) when the stream is a terminal, exact bytes otherwise. */
export function forTerminal(text: string, stream: { isTTY?: boolean }): string {
  return stream.isTTY ? escapeControlKeepLines(text) : text;
}
