// flush-deadline.ts: the one bound on the end of a run. Everything a run sends
// out at its end (spans to an OTLP collector, metrics to a Pushgateway, a dump
// into a FIFO) goes in parallel under one deadline, FLUSH_BUDGET_MS from the
// moment the run's own work ended, whatever timeouts the environment sets. A
// sender still busy at the deadline is abandoned; its socket or timer may still
// hold the event loop, so hl then ends the process itself once its output is
// written (index.ts), instead of waiting for a timeout it does not control.

/**
 * How long the end of a run may wait for collectors, gateways and readers:
 * 2 s, or HL_FLUSH_BUDGET_MS (100 to 60000) on a machine where 2 s is too
 * short even for a collector on loopback (an emulator: npm test sets it in
 * its nested-KVM VM, where code runs 15-20x slower).
 */
export const FLUSH_BUDGET_MS = budgetFromEnv(process.env.HL_FLUSH_BUDGET_MS);

function budgetFromEnv(text: string | undefined): number {
  const ms = Number(text);
  return text !== undefined && /^\d+$/.test(text) && ms >= 100 && ms <= 60_000 ? ms : 2000;
}

/** The deadline (a Date.now() value) for a flush that starts now. */
export function flushDeadline(): number {
  return Date.now() + FLUSH_BUDGET_MS;
}

let abandoned = false;

/** `work`'s value, or 'late' at `until` (and the process is then ended when done). */
export async function by<T>(work: Promise<T>, until: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), Math.max(0, until - Date.now()))));
  const outcome = await Promise.race([work, late]);
  clearTimeout(timer);
  if (outcome === 'late') abandoned = true;
  return outcome;
}

/** True once some sender was abandoned: nothing may keep hl alive past its output. */
export function mustEndProcess(): boolean {
  return abandoned;
}
