// A plain `hl run` loads none of the heavy optional packages (start-up is a
// feature); the flags that need them load them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { hlBin, simpleguest } from './helpers';

const HEAVY = ['prom-client', 'pino-pretty', 'ora', '@opentelemetry'];
const dir = mkdtempSync(path.join(tmpdir(), 'hl-startup-'));
const probe = path.join(dir, 'probe.js');
writeFileSync(
  probe,
  `process.on('exit', () => {
     const loaded = Object.keys(require.cache);
     require('fs').writeSync(2, '\\nLOADED ' + JSON.stringify(loaded) + '\\n');
   });`,
);

function loaded(args: string[]): string[] {
  const r = spawnSync(process.execPath, ['-r', probe, hlBin, ...args], { encoding: 'utf8', env: { ...process.env, HL_LOG: '', RUST_LOG: '' } });
  const m = /LOADED (.*)/.exec(r.stderr);
  return m ? (JSON.parse(m[1]) as string[]) : [];
}

const heavy = (files: string[]) => HEAVY.filter((p) => files.some((f) => f.includes(`/node_modules/${p}/`)));

t.test('hl run loads only what it uses', async (t) => {
  const files = loaded(['run', simpleguest, '--fn', 'Echo', '--arg', 'x']);
  t.ok(files.some((f) => f.endsWith('/build/Release/hl.node')), 'the addon is loaded (the probe works)');
  t.same(heavy(files), [], 'no prom-client, pino-pretty, ora or OpenTelemetry');
});

t.test('--metrics-dump loads prom-client (and its @opentelemetry/api), nothing else heavy', async (t) => {
  const files = loaded(['run', simpleguest, '--fn', 'Echo', '--arg', 'x', '--metrics-dump=-']);
  t.same(heavy(files), ['prom-client', '@opentelemetry']);
  t.same(files.filter((f) => f.includes('/@opentelemetry/') && !f.includes('/@opentelemetry/api/')), [], 'no OpenTelemetry SDK');
});

t.test('pino-pretty is loaded only when pretty output is produced', async (t) => {
  t.same(heavy(loaded(['run', simpleguest, '--fn', 'LogMessage', '--arg', 'x', '--arg', '2'])), [], 'no record passes the default filter');
  t.same(heavy(loaded(['run', simpleguest, '--fn', 'LogMessage', '--arg', 'x', '--arg', '2', '--log', 'trace', '--log-format', 'json'])), [], 'JSON needs no pino-pretty');
  t.same(heavy(loaded(['run', simpleguest, '--fn', 'LogMessage', '--arg', 'x', '--arg', '2', '--log', 'info'])), ['pino-pretty']);
});

t.test('--trace needs no OpenTelemetry; --otlp loads it', async (t) => {
  t.same(heavy(loaded(['run', simpleguest, '--fn', 'Echo', '--arg', 'x', '--trace'])), []);
  const otlp = loaded(['run', simpleguest, '--fn', 'Echo', '--arg', 'x', '--otlp', '127.0.0.1:9']);
  t.ok(otlp.some((f) => f.includes('/@opentelemetry/sdk-trace-base/')));
  t.ok(otlp.some((f) => f.includes('/@opentelemetry/exporter-trace-otlp-grpc/')));
});
