// An embedder wiring hl's log records into its own pino logger with a
// RUST_LOG-style filter, as Hyperlight's logging example does with env_logger.
// Run: RUST_LOG='warn,hyperlight_guest=trace' node dist/examples/logging/index.js
import * as path from 'node:path';
import pino from 'pino';
import { Sandbox, configureLogging, guestsPath } from '../../src/sandbox';

async function main(): Promise<void> {
  // The embedder's logger: JSON lines on stdout, its own base fields.
  const logger = pino({ level: 'trace', base: { app: 'logging-example' } }, process.stdout);
  // hl logs through a child of it, filtered by RUST_LOG (default here: info).
  configureLogging({ logger, filter: process.env.RUST_LOG || 'info' });

  const guest = path.join(guestsPath(), 'simpleguest.bin'); // the package's sample guests, wherever it is installed
  const sandbox = await Sandbox.create(guest);
  // Hyperlight's guest levels: 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 critical.
  for (let level = 0; level <= 5; level++) await sandbox.call('LogMessage', [`a level ${level} message from the guest`, level]);

  // Changing the filter between calls applies to the next call; records
  // below it do not even leave the VM.
  configureLogging({ logger, filter: 'error' });
  await sandbox.call('LogMessage', ['this info record stays in the guest', 2]);
  await sandbox.call('LogMessage', ['this error record is logged', 4]);
  logger.info({ vmExits: sandbox.stats().vmExits }, 'done');
  sandbox.dispose();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
