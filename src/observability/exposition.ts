// exposition.ts: the Prometheus text hl prints, with histogram bucket bounds
// (`le`) in the one form Prometheus' own Go libraries print them.
//
// A label value is a string to Prometheus 2.x: `le="1000000"` and
// `le="1e+06"` are two different series. prom-client prints a bound as
// JavaScript does (String(1e6) is "1000000"); Prometheus' Go client, the
// Pushgateway and node_exporter's textfile collector re-print it with
// strconv.FormatFloat(f, 'g', -1, 64) ("1e+06"). So the same histogram scraped
// directly and through a gateway would be two sets of series, and a
// histogram_quantile() over both a mess. hl prints the Go form everywhere.
import type * as Prom from 'prom-client';

/**
 * A float64 as Go's strconv.FormatFloat(x, 'g', -1, 64) prints it: the
 * shortest digits that read back as x, in exponent form when the decimal
 * exponent is below -4 or at least 6 (at least two exponent digits: 1e+06,
 * 1e-05, 1.5e+300). +Inf, -Inf and NaN as Prometheus writes them.
 */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // toExponential() without an argument gives the shortest round-trip digits, as Go's shortest mode does.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!m) return String(x);
  const [, sign, first, rest = '', expText] = m;
  const exp = Number(expText);
  const digits = first + rest;
  if (exp < -4 || exp >= 6) {
    const e = Math.abs(exp);
    return `${sign}${first}${rest ? '.' + rest : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${int}${frac ? '.' + frac : ''}`;
}

/**
 * The bucket sample `line` (`name_bucket{labels} value`) with its `le` bound
 * in Go's form. The label block is read as the format defines it (a value
 * ends at the first quote not escaped by a backslash), so a guest's text in
 * another label, however it looks, is never taken for the bound.
 */
function rewriteBound(line: string, open: number): string {
  let i = open + 1;
  while (i < line.length && line[i] !== '}') {
    const eq = line.indexOf('="', i);
    if (eq < 0) return line;
    const name = line.slice(i, eq).trim();
    let j = eq + 2;
    while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
    if (j >= line.length) return line;
    if (name === 'le') {
      const text = line.slice(eq + 2, j);
      const bound = text === '+Inf' ? Infinity : Number(text);
      if (text === '' || Number.isNaN(bound)) return line;
      return line.slice(0, eq + 2) + goFloat(bound) + line.slice(j);
    }
    i = j + 1;
    if (line[i] === ',') i++;
  }
  return line;
}

/** `text` (a text exposition) with every histogram bucket bound in Go's form. */
export function canonicalExposition(text: string): string {
  const histograms = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (type === 'histogram') histograms.add(name);
      continue;
    }
    const open = line.indexOf('_bucket{');
    if (open > 0 && histograms.has(line.slice(0, open))) lines[i] = rewriteBound(line, open + '_bucket'.length);
  }
  return lines.join('\n');
}

/** The registry's text exposition as hl prints it (bucket bounds in Prometheus' Go form). */
export async function metricsText(registry: Prom.Registry): Promise<string> {
  return canonicalExposition(await registry.metrics());
}
