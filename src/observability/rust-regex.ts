// rust-regex.ts: Rust `regex` crate patterns (what RUST_LOG users write) as
// JavaScript RegExps. Translated: leading flag groups `(?ims)`, POSIX classes
// `[[:upper:]]`, Unicode-aware `\d \w \s` and their negations, `\pL`, script
// names in `\p{Greek}`, verbose mode `(?x)`, `\A`/`\z`, `.` (which excludes only `\n` in Rust), and
// escaped punctuation such as `\#`. Anything else that differs is listed in
// docs/observability.md ("Regular expressions"); a pattern this cannot
// translate is reported as invalid.

const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
/** Punctuation Rust lets a pattern escape that JavaScript's `u` mode does not. */
const EXTRA_ESCAPES = '#&~-';

class Untranslatable extends Error {}

function property(negated: boolean, name: string): string {
  const p = negated ? 'P' : 'p';
  for (const candidate of [name, `Script=${name}`]) {
    try {
      new RegExp(`\\${p}{${candidate}}`, 'u');
      return `\\${p}{${candidate}}`;
    } catch {
      // try the next spelling
    }
  }
  throw new Untranslatable(name);
}

/** One escape at `src[i]` (just after the backslash); returns the JS text and the next index. */
function escape(src: string, i: number, inClass: boolean): [string, number] {
  const c = src[i];
  if (c === undefined) throw new Untranslatable('trailing backslash');
  switch (c) {
    case 'd':
      return ['\\p{Nd}', i + 1];
    case 'D':
      return ['\\P{Nd}', i + 1];
    case 's':
      return ['\\p{White_Space}', i + 1];
    case 'S':
      return ['\\P{White_Space}', i + 1];
    case 'w':
      return [inClass ? WORD : `[${WORD}]`, i + 1];
    case 'W':
      if (inClass) throw new Untranslatable('\\W in a class');
      return [`[^${WORD}]`, i + 1];
    case 'A':
      if (inClass) throw new Untranslatable('\\A in a class');
      return ['(?<![\\s\\S])', i + 1];
    case 'z':
      if (inClass) throw new Untranslatable('\\z in a class');
      return ['(?![\\s\\S])', i + 1];
    case 'p':
    case 'P': {
      if (src[i + 1] === '{') {
        const end = src.indexOf('}', i + 2);
        if (end < 0) throw new Untranslatable('unclosed \\p{');
        return [property(c === 'P', src.slice(i + 2, end)), end + 1];
      }
      if (src[i + 1] === undefined) throw new Untranslatable('\\p without a class');
      return [property(c === 'P', src[i + 1]), i + 2];
    }
    case ' ':
      return ['\\x20', i + 1];
    default:
      if (EXTRA_ESCAPES.includes(c) && !(inClass && c === '-')) return [`\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`, i + 1];
      return [`\\${c}`, i + 1];
  }
}

/** A bracket class starting at `src[i]` (the `[`); returns the JS class and the next index. */
function bracket(src: string, i: number, verbose: boolean): [string, number] {
  let out = '[';
  i++;
  if (src[i] === '^') {
    out += '^';
    i++;
  }
  // A `]` first in the class is a literal in Rust.
  if (src[i] === ']') {
    out += '\\]';
    i++;
  }
  while (i < src.length) {
    const c = src[i];
    if (c === ']') return [out + ']', i + 1];
    if (verbose && /\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '[') {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(src.slice(i));
      if (!posix || posix[1] || !(posix[2] in POSIX)) throw new Untranslatable('nested class');
      out += POSIX[posix[2]];
      i += posix[0].length;
      continue;
    }
    if (c === '\\') {
      const [text, next] = escape(src, i + 1, true);
      out += text;
      i = next;
      continue;
    }
    if ((c === '&' && src[i + 1] === '&') || (c === '-' && src[i + 1] === '-') || (c === '~' && src[i + 1] === '~')) throw new Untranslatable('class set operation');
    out += c === '/' || c === '|' || c === '(' || c === ')' || c === '{' || c === '}' ? `\\${c}` : c;
    i++;
  }
  throw new Untranslatable('unclosed class');
}

/**
 * The pattern as a JavaScript RegExp, or undefined when it is invalid (or uses
 * syntax hl cannot translate). `dfa`: the pattern is for tracing-subscriber's
 * field matcher (regex-automata 0.1), which rejects the anchors `^ $ \A \z`
 * and the word boundaries `\b \B`.
 */
export function rustRegex(pattern: string, dfa = false): RegExp | undefined {
  let flags = 'u';
  let src = pattern;
  // Leading flag groups apply to the whole pattern: (?i), (?s), (?m), (?x), (?is)...
  for (let m = /^\(\?([a-zA-Z]+)\)/.exec(src); m; m = /^\(\?([a-zA-Z]+)\)/.exec(src)) {
    for (const f of m[1]) {
      if (!'imsx'.includes(f)) return undefined;
      if (!flags.includes(f)) flags += f;
    }
    src = src.slice(m[0].length);
  }
  const dotAll = flags.includes('s');
  const verbose = flags.includes('x');
  let out = '';
  try {
    for (let i = 0; i < src.length; ) {
      const c = src[i];
      if (verbose && /\s/.test(c)) {
        i++;
      } else if (verbose && c === '#') {
        const nl = src.indexOf('\n', i);
        i = nl < 0 ? src.length : nl + 1;
      } else if (dfa && (c === '^' || c === '$' || (c === '\\' && 'bBAz'.includes(src[i + 1])))) {
        return undefined;
      } else if (c === '\\') {
        const [text, next] = escape(src, i + 1, false);
        out += text;
        i = next;
      } else if (c === '[') {
        const [text, next] = bracket(src, i, verbose);
        out += text;
        i = next;
      } else if (c === '(' && src[i + 1] === '?') {
        // (?:...) and (?P<name>...) / (?<name>...); flags inside the pattern are not translated.
        if (src[i + 2] === ':') {
          out += '(?:';
          i += 3;
        } else if (src.startsWith('(?P<', i)) {
          out += '(?<';
          i += 4;
        } else if (src[i + 2] === '<' && src[i + 3] !== '=' && src[i + 3] !== '!') {
          out += '(?<';
          i += 3;
        } else {
          return undefined;
        }
      } else if (c === '.') {
        out += dotAll ? '[\\s\\S]' : '[^\\n]';
        i++;
      } else {
        out += c === '/' ? '\\/' : c;
        i++;
      }
    }
    return new RegExp(out, flags.replace(/[sx]/g, ''));
  } catch {
    return undefined;
  }
}

/**
 * Whether a tracing-subscriber field-value pattern matches `value`: its
 * matcher behaves as if the pattern began with `.*?` and must be in a match
 * state at the end of the value, that is: the leftmost-first match ends at the
 * value's end (`cho` matches "Echo"; `Echo` does not match "Echo Echo").
 */
export function matchesToEnd(re: RegExp, value: string): boolean {
  const m = re.exec(value);
  return m !== null && m.index + m[0].length === value.length;
}
