// Logging in the library: an embedder's pino logger and filter, logging off,
// and guest-side filtering that really avoids VM exits.
import { Writable } from 'node:stream';
import pino from 'pino';
import t from 'tap';
import { configureLogging } from '../src/observability/logging';
import { create } from './helpers';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: pino({ level: 'trace' }, stream) };
}

t.afterEach(() => configureLogging({}));

t.test('records go through a child of the embedder\'s pino logger', async (t) => {
  const { lines, logger } = capture();
  configureLogging({ logger: logger.child({ app: 'embedder' }), filter: 'warn,hyperlight_guest=info' });
  const sb = await create();
  t.teardown(() => sb.dispose());
  await sb.call('LogMessage', ['kept', 2]);
  await sb.call('LogMessage', ['dropped', 1]);
  const guest = lines.filter((l) => l.target === 'hyperlight_guest');
  t.same(guest.map((l) => l.msg), ['kept']);
  t.equal(guest[0].app, 'embedder', 'a child of the embedder\'s logger');
  t.equal(guest[0].level, 30, 'the embedder\'s own level format');
  t.notOk(lines.some((l) => l.target === 'hyperlight_host::sandbox' && l.msg === 'sandbox created'), 'host debug filtered out');
});

t.test('a disabled guest level costs no VM exit; enabling it takes effect on the next call', async (t) => {
  const { lines, logger } = capture();
  configureLogging({ logger, filter: 'hyperlight_guest=warn' });
  const sb = await create();
  t.teardown(() => sb.dispose());
  const exits = async (level: number) => {
    const before = sb.stats().vmExits;
    await sb.call('LogMessage', ['x', level]);
    return sb.stats().vmExits - before;
  };
  t.equal(await exits(0), 1, 'trace record: only the done-exit');
  t.equal(await exits(2), 1, 'info record: only the done-exit');
  t.equal(await exits(3), 2, 'warn record: one exit for the record');
  configureLogging({ logger, filter: 'hyperlight_guest=trace' });
  t.equal(await exits(0), 2, 'the new filter applies to the next call');
  t.equal(lines.filter((l) => l.target === 'hyperlight_guest').length, 2);
  configureLogging(false);
  t.equal(await exits(5), 1, 'logging off: even critical stays in the guest');
});

t.test('a guest flood under a disabled level never leaves the VM', async (t) => {
  configureLogging({ filter: 'off' });
  const sb = await create('hostile');
  t.teardown(() => sb.dispose());
  const before = sb.stats().vmExits;
  await sb.call('LogFlood', [100_000]);
  t.equal(sb.stats().vmExits - before, 1, '100,000 disabled records, one exit');
});
