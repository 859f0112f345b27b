// metrics-export.ts: a CLI run's metrics as a text dump at its end (stderr,
// stdout, a file written atomically, or a device, FIFO or descriptor written
// straight through: output-file.ts). The /metrics endpoint is in
// metrics-listen.ts, the Pushgateway in metrics-push.ts.
import type * as Prom from 'prom-client';
import { forTerminal } from '../inert-text';
import { metricsText } from '../observability/exposition';
import { writeOutput } from './output-file';

/** "stderr" (the flag alone), "-" (stdout), or a path; a failed write throws OutputError. */
export async function dumpMetrics(registry: Prom.Registry, target: string, until: number): Promise<void> {
  const text = await metricsText(registry);
  // Label values carry guest error messages: inert on a terminal.
  if (target === 'stderr') process.stderr.write(forTerminal(text, process.stderr));
  else if (target === '-') process.stdout.write(forTerminal(text, process.stdout));
  else await writeOutput(target, text, until);
}
