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
import { usage } from '../errors';
import { metricsText } from '../observability/exposition';
import type * as Prom from 'prom-client';
import type { ClientRequest } from 'node:http';
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
 * value: the run's flush deadline, flush-deadline.ts). node:http rather than
 * fetch(), which refuses the ports on the Fetch standard's "bad port" list.
 */
export async function pushMetrics(registry: Prom.Registry, url: string, key: Record<string, string>, until: number): Promise<string | undefined> {
  const body = await metricsText(registry);
  const target = new URL(url.replace(/\/+$/, '') + groupingPath(key));
  const client = (target.protocol === 'https:' ? require('node:https') : require('node:http')) as typeof import('node:http');
  let request: ClientRequest | undefined;
  const send = new Promise<string | undefined>((resolve, reject) => {
    request = client.request(target, { method: 'POST', headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let answer = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => void (answer.length < 4096 && (answer += d)));
      res.on('error', reject);
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const line = answer.trim().split('\n')[0].slice(0, 200);
        resolve(status >= 200 && status < 300 ? undefined : `the gateway answered HTTP ${status}${line ? `: ${line}` : ''}`);
      });
    });
    request.on('error', reject);
    request.end(body);
  });
  try {
    const pushed = await by(send, until);
    if (pushed !== 'late') return pushed;
    request?.destroy();
    return `no answer within ${FLUSH_BUDGET_MS / 1000} s`;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code ?? e.message;
  }
}
