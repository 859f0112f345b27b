// metrics-push.ts: `--metrics-push URL`, a run's metrics to a Prometheus
// Pushgateway at its end, as a batch job's outcome (docs/observability.md).
//
// The gateway is a cache, not an aggregator: each push replaces, in its group,
// the metric families it carries. So what a group holds is its last run: the
// counters are that run's counts (a run starts from 0), and
// hl_last_success_timestamp_seconds, pushed only by a run that succeeded,
// survives the failed runs after it (POST replaces only the families pushed).
// Every family hl registers has a series from the start (metrics.ts), so a
// push always replaces all of them: an earlier run's errors or crashes are
// never left beside a later run's counts.
//
// The grouping key follows the gateway's guidance for a service-level batch
// job: job="hl", guest (the file's base name) and function, and no instance,
// so a run on another machine replaces the same group instead of leaving one
// per host behind. --metrics-push-label NAME=VALUE adds to it or overrides it
// (instance=$(hostname) for a machine-level job; job=nightly-report).
import { usage } from '../sandbox/errors';
import { metricsText } from '../observability/exposition';
import type * as Prom from 'prom-client';
import * as path from 'node:path';
import { FLUSH_BUDGET_MS, by } from './flush-deadline';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Parses one --metrics-push-label NAME=VALUE. */
export function parsePushLabel(text: string): [string, string] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !LABEL_NAME.test(name) || name.startsWith('__')) {
    throw usage(`--metrics-push-label: "${text}" is not NAME=VALUE with a Prometheus label name (examples: instance=web-1, job=nightly)`);
  }
  const value = text.slice(eq + 1);
  if (name === 'job' && value === '') throw usage('--metrics-push-label: job= needs a value');
  return [name, value];
}

/** The grouping key of a run's push: job first (the gateway requires it), then guest, function and the user's labels. */
export function pushGrouping(guest: string, fn: string, labels: readonly string[] = []): Record<string, string> {
  const key: Record<string, string> = { job: 'hl', guest: path.basename(guest), function: fn };
  for (const text of labels) {
    const [name, value] = parsePushLabel(text);
    key[name] = value;
  }
  return key;
}

/**
 * The gateway path for a grouping key. A value that is empty or holds a "/"
 * cannot be a path segment: it goes as NAME@base64/VALUE (the gateway's README,
 * "URL"), the rest URI-encoded.
 */
export function groupingPath(key: Record<string, string>): string {
  let out = '/metrics';
  for (const [name, value] of Object.entries(key)) {
    if (value === '' || value.includes('/')) out += `/${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
    else out += `/${name}/${encodeURIComponent(value)}`;
  }
  return out;
}

/**
 * POSTs the registry's text to `url` (the gateway's base URL) under `key`.
 * Returns an error message, or undefined on success, by `until` (a Date.now()
 * value: the run's flush deadline, flush-deadline.ts).
 */
export async function pushMetrics(registry: Prom.Registry, url: string, key: Record<string, string>, until: number): Promise<string | undefined> {
  const body = await metricsText(registry);
  const abort = new AbortController();
  const target = url.replace(/\/+$/, '') + groupingPath(key);
  const send = async (): Promise<string | undefined> => {
    const res = await fetch(target, { method: 'POST', body, headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }, signal: abort.signal });
    const answer = (await res.text()).trim().split('\n')[0].slice(0, 200);
    if (res.status < 200 || res.status >= 300) return `the gateway answered HTTP ${res.status}${answer ? `: ${answer}` : ''}`;
    return undefined;
  };
  try {
    const pushed = await by(send(), until);
    if (pushed !== 'late') return pushed;
    abort.abort();
    return `no answer within ${FLUSH_BUDGET_MS / 1000} s`;
  } catch (err) {
    const e = err as Error & { cause?: NodeJS.ErrnoException };
    return e.cause?.code ?? e.cause?.message ?? e.message;
  }
}
