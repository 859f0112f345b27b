// optional-values.ts: flags whose value is optional (`--metrics-dump`,
// `--otlp`). Commander would take whatever word follows as the value, so
// `hl run --metrics-dump guest.bin --fn Echo` lost the guest path. Before
// parsing, a flag whose next word is not its value is bound to a marker that
// means "no value", and that word stays an argument:
// - `--metrics-dump` takes a value only as `--metrics-dump=TARGET`;
// - `--otlp` takes the next word when it is an endpoint (it has a colon:
//   HOST:PORT or a URL), as in `--otlp localhost:4317`, or `--otlp=ENDPOINT`.
import { Option } from 'commander';

const OPTIONAL_VALUE_FLAGS: ReadonlyMap<string, (next: string) => boolean> = new Map([
  ['--metrics-dump', () => false],
  ['--otlp', (next: string) => !next.startsWith('-') && next.includes(':')],
]);
/** What a bare flag is bound to; no command-line word can contain a NUL. */
const NO_VALUE = '\0';

/** argv with every optional-value flag before `--` that does not take the next word written as `--flag=<NO_VALUE>`. */
export function bindOptionalValues(argv: string[]): string[] {
  const end = argv.indexOf('--');
  return argv.map((a, i) => {
    const takes = OPTIONAL_VALUE_FLAGS.get(a);
    if (!takes || (end >= 0 && i > end)) return a;
    const next = argv[i + 1];
    return next !== undefined && i + 1 !== end && takes(next) ? a : `${a}=${NO_VALUE}`;
  });
}

/** An Option for one of these flags: `--flag` alone gives `true`, a value gives the value. */
export function optionalValueOption(flag: string, valueName: string, description: string): Option {
  if (!OPTIONAL_VALUE_FLAGS.has(flag)) throw new Error(`${flag} is not listed in OPTIONAL_VALUE_FLAGS`);
  return new Option(`${flag} [${valueName}]`, description).argParser((v: string) => (v === NO_VALUE ? true : v)) as Option;
}
