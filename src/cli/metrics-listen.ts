// metrics-listen.ts: `--metrics-listen [host:]port`, GET /metrics while a run
// lasts, and after it until the final state has been scraped once.
//
// Prometheus scrapes on its own schedule (every 15 s to 1 min, typically): a
// run shorter than that interval would never be seen, and the last stretch of
// a longer one would be lost. So once the run has ended, hl keeps serving until
// one GET /metrics that started after the end has been answered, for at most
// the linger bound (--metrics-linger, default LINGER_DEFAULT_MS; 0 does not
// wait). The endpoint never keeps the process alive otherwise.
import type { Server, ServerResponse } from 'node:http';
import type * as Prom from 'prom-client';
import { usage } from '../errors';
import { metricsText } from '../observability/exposition';

/** How long a run's end waits for its final scrape unless --metrics-linger says otherwise. */
export const LINGER_DEFAULT_MS = 5000;

/** Parses "[host:]port"; the host defaults to loopback. */
export function parseListen(text: string, flag = '--metrics-listen'): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw usage(`${flag}: "${text}" is not [host:]port (examples: 9464, 127.0.0.1:9464, 0 for any free port)`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export interface MetricsEndpoint {
  readonly url: string;
  /** The run is over: what is served from now on is its final state. */
  ended(): void;
  /** True once a GET /metrics received after ended() has been answered. */
  readonly scraped: boolean;
  /**
   * Resolves true once the final state has been scraped (at once if it
   * already was), false after `ms`. Then closes the endpoint.
   */
  finalScrape(ms: number): Promise<boolean>;
  close(): void;
}

/** Serves GET /metrics; resolves once listening. */
export async function serveMetrics(registry: Prom.Registry, addr: { host: string; port: number }): Promise<MetricsEndpoint> {
  const http = require('node:http') as typeof import('node:http'); // loaded only for --metrics-listen
  let over = false;
  let scraped = false;
  let onScraped: (() => void) | undefined;
  const answered = (res: ServerResponse) =>
    res.once('finish', () => {
      scraped = true;
      onScraped?.();
    });
  const server: Server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('hl serves /metrics only\n');
      return;
    }
    if (over) answered(res); // the registry no longer changes: this answer is the final state
    metricsText(registry).then(
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
  const close = () => {
    server.close();
    server.closeAllConnections(); // a scraper's keep-alive connection too
  };
  return {
    url: `http://${host}:${a.port}/metrics`,
    ended: () => void (over = true),
    close,
    get scraped() {
      return scraped;
    },
    async finalScrape(ms) {
      over = true;
      if (!scraped && ms > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          onScraped = resolve;
          timer = setTimeout(resolve, ms); // ref'd: the wait keeps hl alive
        });
        clearTimeout(timer);
        onScraped = undefined;
      }
      close();
      return scraped;
    },
  };
}
