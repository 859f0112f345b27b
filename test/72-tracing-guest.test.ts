// Guest spans: recorded in guest memory without VM exits, read at the end of
// the call, placed in time under the call span; hostile records are refused.
import t from 'tap';
import { traceTree } from '../src/sandbox';
import { configureLogging } from '../src/observability/logging';
import { create, hlAsync, simpleguest } from './helpers';
import { startCollector } from './otlp-collector';

t.test('guest spans arrive as children of call, with attributes and events', async (t) => {
  const c = await startCollector();
  t.teardown(() => c.stop());
  const r = await hlAsync(['run', simpleguest, '--fn', 'Traced', '--arg', '4', '--otlp', c.endpoint]);
  t.equal(r.status, 0, r.stderr);
  await c.waitFor((s) => s.some((x) => x.name === 'run'));
  const call = c.spans.find((s) => s.name === 'call')!;
  const work = c.spans.find((s) => s.name === 'work')!;
  const steps = c.spans.filter((s) => s.name === 'step');
  t.equal(work.parentSpanId, call.spanId, 'the guest span is a child of call');
  t.equal(work.attributes.steps, 'few');
  t.equal(work.attributes['hl.target'], 'hyperlight_guest');
  t.equal(steps.length, 4);
  t.ok(steps.every((s) => s.parentSpanId === work.spanId), 'nested guest spans keep their nesting');
  t.equal(steps.filter((s) => s.events.some((e) => e.name === 'halfway')).length, 1);
  t.ok(steps.every((s) => s.startNs >= work.startNs && s.endNs <= work.endNs), 'guest timestamps are placed inside the parent');
  t.ok(work.startNs >= call.startNs && work.endNs <= call.endNs);
  // The guest's clock is placed at the vCPU entry: no guest span starts before the run that ran it.
  const runs = c.spans.filter((s) => s.name === 'vcpu_run' && s.parentSpanId === call.spanId);
  t.equal(runs.length, 1, 'Traced makes one exit');
  for (const s of [work, ...steps]) {
    t.ok(s.startNs >= runs[0].startNs, `${s.name} starts inside its vcpu_run (${s.startNs - runs[0].startNs} ns after its start)`);
    t.ok(s.endNs <= runs[0].endNs, `${s.name} ends inside its vcpu_run`);
  }
});

t.test('guest spans cost no VM exit, traced or not', async (t) => {
  const tree = traceTree();
  t.teardown(tree.stop);
  const sb = await create();
  t.teardown(() => sb.dispose());
  const before = sb.stats().vmExits;
  await sb.call('Traced', [200]);
  t.equal(sb.stats().vmExits - before, 1, '201 spans, one exit');
  t.match(tree.render(), /└─ step /);
  tree.stop();
  const b2 = sb.stats().vmExits;
  await sb.call('Traced', [200]);
  t.equal(sb.stats().vmExits - b2, 1);
});

t.test('a full trace buffer counts the dropped spans', async (t) => {
  const tree = traceTree();
  t.teardown(tree.stop);
  const sb = await create();
  t.teardown(() => sb.dispose());
  await sb.call('Traced', [5000]);
  t.match(tree.render(), /call [\d.]+(µs|ms) function_name=Traced guest\.spans_dropped=\d+/);
});

t.test('hostile span records are dropped with a warning, the call unharmed', async (t) => {
  const warnings: string[] = [];
  const pino = (await import('pino')).default;
  const { Writable } = await import('node:stream');
  const logger = pino({ level: 'trace' }, new Writable({ write(c, _e, cb) { warnings.push(String(c)); cb(); } }));
  configureLogging({ logger, filter: 'warn,hyperlight_guest=info,hyperlight_host::sandbox=info' });
  t.teardown(() => configureLogging({}));
  const tree = traceTree();
  t.teardown(tree.stop);
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  t.equal(await sb.call('BadTrace', [0]), 0);
  t.equal(await sb.call('BadTrace', [1]), 0);
  t.ok(warnings.some((w) => /claims more than it holds/.test(w)));
  t.ok(warnings.some((w) => /malformed guest trace records/.test(w)));
  t.match(tree.render(), /legit/, 'the well-formed record before the bad one survives');
});
