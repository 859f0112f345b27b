// An embedder that keeps its own prom-client registry, hands it to hl, makes
// some calls (one fails, one times out) and reads the metrics back, as
// Hyperlight's examples/metrics does. Run: node dist/examples/metrics/index.js
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { Sandbox, setMetricsRegistry, guestsPath } from '../../src/sandbox';

async function main(): Promise<void> {
  const registry = new Registry();
  setMetricsRegistry(registry); // before creating sandboxes

  const guest = path.join(guestsPath(), 'simpleguest.bin'); // the package's sample guests, wherever it is installed
  const sandbox = await Sandbox.create(guest, {
    functionCallMetrics: true, // the duration histograms are opt-in
    hostFunctions: [{ name: 'HostAdd', params: ['int32', 'int32'], returns: 'int32', fn: (a: number, b: number) => a + b }],
  });
  for (let i = 0; i < 10; i++) await sandbox.call('Add', [i, i]);
  await sandbox.call('GuestError', [1001, 'quota exceeded']).catch((e) => console.error(`expected: ${e.message}`));
  await sandbox.call('Spin', [], { timeoutMs: 50 }).catch((e) => console.error(`expected: ${e.message}`));
  sandbox.restore(); // a cancelled sandbox is poisoned until restored
  sandbox.dispose();

  // Read single metrics as values...
  const errors = await registry.getSingleMetric('hyperlight_guest_error_count')!.get();
  for (const v of errors.values) if (v.labels.error_code) console.log(`guest error ${v.labels.error_code} (${v.labels.error_message}): ${v.value}`);
  // ...or the whole exposition, as Prometheus would scrape it.
  process.stdout.write(await registry.metrics());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
