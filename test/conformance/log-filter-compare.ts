// log-filter-compare.ts: runs hl's log filter and the reference crates
// (test/conformance/log-filter, built by scripts/build-log-oracle.sh) on the
// same corpus and sorts each disagreement into a documented difference
// (docs/observability.md, "Differences from tracing-subscriber and env_logger").
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Level } from '../../src/observability/levels';
import { LogFilter } from '../../src/observability/log-filter';
import { type Case, type CorpusRecord, encode } from './log-filter-corpus';
import { KNOWN_DIFFERENCES } from './log-filter-differences';

export const oracleDir = path.join(__dirname, '..', '..', '..', 'test', 'conformance', 'log-filter', 'target', 'release');

export interface Difference {
  oracle: Case['oracle'];
  filter: string;
  record: CorpusRecord;
  hl: boolean;
  reference: boolean;
  /** The documented difference that explains it, if any. */
  known?: string;
}

export interface Comparison {
  records: number;
  agree: number;
  differences: Difference[];
}

function runOracle(bin: string, cases: Case[]): boolean[] {
  const res = spawnSync(path.join(oracleDir, bin), { input: encode(cases), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`${bin} failed (status ${res.status}): ${res.stderr || res.error}`);
  return res.stdout.trim().split('\n').filter(Boolean).map((l) => l === '1');
}

function hlDecision(f: LogFilter, r: CorpusRecord): boolean {
  const spans = r.spans.map((s) => ({ name: s.name, target: s.target, level: Level[s.level], fields: s.fields }));
  return f.enabled(r.target, Level[r.level], spans) && f.messageMatches(r.message);
}

export function compare(cases: Case[]): Comparison {
  const out: Comparison = { records: 0, agree: 0, differences: [] };
  for (const oracle of ['tracing', 'env_logger'] as const) {
    const mine = cases.filter((c) => c.oracle === oracle);
    const answers = runOracle(oracle === 'tracing' ? 'tracing-oracle' : 'env-logger-oracle', mine);
    let i = 0;
    for (const c of mine) {
      const f = new LogFilter(c.filter);
      for (const record of c.records) {
        const reference = answers[i++];
        if (reference === undefined) throw new Error(`${oracle} oracle gave too few answers`);
        const hl = hlDecision(f, record);
        out.records++;
        if (hl === reference) {
          out.agree++;
          continue;
        }
        const d: Difference = { oracle, filter: c.filter, record, hl, reference };
        d.known = KNOWN_DIFFERENCES.find((k) => k.oracle === oracle && k.explains(d))?.id;
        out.differences.push(d);
      }
    }
    if (i !== answers.length) throw new Error(`${oracle} oracle gave ${answers.length} answers for ${i} records`);
  }
  return out;
}
