// examples/tracing prints a tree; examples/otlp_tracing exports to a collector.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { root } from './helpers';
import { startCollector } from './otlp-collector';

t.test('examples/tracing', async (t) => {
  const r = spawnSync(process.execPath, [path.join(root, 'dist/examples/tracing/index.js')], { encoding: 'utf8', env: { ...process.env, RUST_LOG: '', HL_LOG: '' } });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^call [\d.]+(µs|ms) function_name=Add\n├─ vcpu_run [^\n]+ exit=host_call\n├─ host_function [^\n]+ function_name=HostAdd\n└─ vcpu_run [^\n]+ exit=done$/m);
  t.match(r.stdout, /^[├└]─ work [^\n]+ steps=few$/m); // after the vcpu_run that ran it (the guest clock places it inside that run)
  t.match(r.stdout, /function_name=GuestError error: guest function GuestError returned error 1001/);
});

t.test('examples/otlp_tracing', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const child = spawn(process.execPath, [path.join(root, 'dist/examples/otlp_tracing/index.js'), c.endpoint], { env: { ...process.env, RUST_LOG: '', HL_LOG: '' } });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const status = await new Promise((resolve) => child.on('close', resolve));
  t.equal(status, 0);
  const traceId = /trace ([0-9a-f]{32})/.exec(stdout)?.[1];
  await c.waitFor((s) => s.some((x) => x.name === 'process-batch'));
  const batch = c.spans.find((s) => s.name === 'process-batch')!;
  t.equal(batch.traceId, traceId);
  t.equal(batch.resource['service.name'], 'hl-otlp-example');
  const calls = c.spans.filter((s) => s.name === 'call');
  t.equal(calls.length, 4);
  t.ok(calls.every((s) => s.parentSpanId === batch.spanId), 'hl\'s spans are children of the embedder\'s');
  t.ok(c.spans.some((s) => s.name === 'step'), 'guest spans too');
});
