// metrics-export.ts: how a CLI run hands its metrics to Prometheus: a text
// dump (stderr, stdout, a file written atomically, or a device, FIFO or
// descriptor written straight through: output-file.ts), a /metrics endpoint
// while the run lasts, and a push to a Pushgateway at the end.
import type { Server } from 'node:http';
import { hostname } from 'node:os';
import * as path from 'node:path';
import type * as Prom from 'prom-client';
import { forTerminal } from '../inert-text';
import { usage } from '../errors';
import { FLUSH_BUDGET_MS, by } from './flush-deadline';
import { writeOutput } from './output-file';

/** "stderr" (the flag alone), "-" (stdout), or a path; a failed write throws OutputError. */
export async function dumpMetrics(registry: Prom.Registry, target: string, until: number): Promise<void> {
  const text = await registry.metrics();
  // Label values carry guest error messages: inert on a terminal.
  if (target === 'stderr') process.stderr.write(forTerminal(text, process.stderr));
  else if (target === '-') process.stdout.write(forTerminal(text, process.stdout));
  else await writeOutput(target, text, until);
}

/** Parses "[host:]port"; the host defaults to loopback. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw usage(`--metrics-listen: "${text}" is not [host:]port (examples: 9464, 127.0.0.1:9464, 0 for any free port)`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

/** Serves GET /metrics until closed; resolves once listening, with the URL. */
export async function serveMetrics(registry: Prom.Registry, addr: { host: string; port: number }): Promise<{ server: Server; url: string }> {
  const http = require('node:http') as typeof import('node:http'); // loaded only for --metrics-listen
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('hl serves /metrics only\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(usage(`--metrics-listen: cannot listen on ${addr.host}:${addr.port}: ${err.code ?? err.message}`)),
    );
    server.listen(addr.port, addr.host, resolve);
  });
  server.unref(); // a scrape endpoint never keeps the run alive
  const a = server.address() as { address: string; port: number };
  const host = a.address.includes(':') ? `[${a.address}]` : a.address;
  return { server, url: `http://${host}:${a.port}/metrics` };
}

/** The grouping labels of a push, besides job="hl" (docs/observability.md). */
export function pushGrouping(guest: string): Record<string, string> {
  return { instance: hostname(), guest: path.basename(guest) };
}

/**
 * Pushes to a Pushgateway with POST (pushAdd): metrics of this run replace
 * those of the same name in the group, and a failed run, which has no
 * hl_last_success_timestamp_seconds, leaves the last success's value in place.
 * Returns an error message, or undefined on success, by `until` (a Date.now()
 * value: the run's flush deadline, flush-deadline.ts). prom-client's own
 * timeout is a socket idle timeout, which a gateway that trickles bytes never
 * reaches: hence the race.
 */
export async function pushMetrics(registry: Prom.Registry, url: string, guest: string, until: number): Promise<string | undefined> {
  const prom = require('prom-client') as typeof Prom;
  const gateway = new prom.Pushgateway(url, { timeout: Math.max(1, until - Date.now()) }, registry);
  try {
    const pushed = await by(gateway.pushAdd({ jobName: 'hl', groupings: pushGrouping(guest) }), until);
    if (pushed === 'late') return `no answer within ${FLUSH_BUDGET_MS / 1000} s`;
    const { resp } = pushed;
    const status = (resp as { statusCode?: number } | undefined)?.statusCode;
    if (status !== undefined && (status < 200 || status >= 300)) return `the gateway answered HTTP ${status}`;
    return undefined;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code ?? e.message.replace(/[,\s]+$/, '').split('\n')[0];
  }
}
