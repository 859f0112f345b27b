// hl-test: no-kvm
// hl's log filter against the real crates (tracing-subscriber 0.3 EnvFilter and
// env_logger 0.9, from Debian, built by scripts/build-log-oracle.sh): the same
// directive strings and records, handwritten edge cases plus a seeded random
// corpus. At least 99% must agree, and every difference must be one that
// docs/observability.md lists as deliberate.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { compare, oracleDir } from './conformance/log-filter-compare';
import { edgeCases, randomCases } from './conformance/log-filter-corpus';
import { KNOWN_DIFFERENCES } from './conformance/log-filter-differences';

const SEED = Number(process.env.HL_LOG_FILTER_SEED ?? 12);

t.test('the oracles are built', async (t) => {
  for (const bin of ['tracing-oracle', 'env-logger-oracle']) t.ok(existsSync(path.join(oracleDir, bin)), `${bin} (run scripts/build-log-oracle.sh)`);
});

t.test('hl agrees with tracing-subscriber and env_logger', async (t) => {
  const edge = compare(edgeCases());
  const random = compare(randomCases(SEED, 600, 300, 8));
  const records = edge.records + random.records;
  const agree = edge.agree + random.agree;
  const pct = (a: number, n: number): string => `${((100 * a) / n).toFixed(2)}%`;
  t.comment(`edge cases: ${edge.agree}/${edge.records} agree (${pct(edge.agree, edge.records)}); random (seed ${SEED}): ${random.agree}/${random.records} (${pct(random.agree, random.records)}); all: ${pct(agree, records)}`);
  t.ok(agree / records >= 0.99, `at least 99% of ${records} records agree (${pct(agree, records)})`);
  const unexplained = [...edge.differences, ...random.differences].filter((d) => !d.known);
  for (const d of unexplained.slice(0, 20)) t.fail(`undocumented difference (${d.oracle}): filter ${JSON.stringify(d.filter)} record ${JSON.stringify(d.record)}: hl ${d.hl}, reference ${d.reference}`);
  t.equal(unexplained.length, 0, 'every difference is a documented one');
  const byId = new Map<string, number>();
  for (const d of [...edge.differences, ...random.differences]) byId.set(d.known as string, (byId.get(d.known as string) ?? 0) + 1);
  t.comment(`differences by reason: ${JSON.stringify(Object.fromEntries(byId))}`);
});

t.test('every documented difference is in docs/observability.md', async (t) => {
  const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'observability.md'), 'utf8');
  for (const k of KNOWN_DIFFERENCES) t.ok(doc.includes(`\`${k.id}\``), `${k.id} is documented`);
});
