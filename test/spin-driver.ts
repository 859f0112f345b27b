// spin-driver.ts: hl run's spinner and signal handling around a call that
// never ends by itself, with no guest (so no KVM needed): the real spinner
// (ora) and the real handlers of src/cli/interrupt.ts. On SIGINT or
// SIGTERM it does what hl run does after a cancelled call, a moment later (a
// guest takes a moment to stop): an error line, a file, exit 130/143.
// Usage: node spin-driver.js OUTFILE
import { writeFileSync } from 'node:fs';
import { cancelOnSignals } from '../src/cli/interrupt';
import { type Spinner, startSpinner } from '../src/cli/spinner';

const out = process.argv[2];
const controller = new AbortController();
let spinner: Spinner | undefined;
const interrupt = cancelOnSignals((reason) => {
  spinner?.stop();
  controller.abort(reason);
});
spinner = startSpinner('calling Wait', {});
const alive = setInterval(() => {}, 1000);
controller.signal.addEventListener('abort', () => {
  setTimeout(() => {
    spinner?.stop();
    interrupt.dispose();
    clearInterval(alive);
    process.stderr.write(`driver: error: Wait cancelled: ${(controller.signal.reason as Error).message}\n`);
    writeFileSync(out, `cancelled by ${interrupt.by}\n`);
    process.exitCode = interrupt.by === 'SIGINT' ? 130 : 143;
  }, 50);
});
