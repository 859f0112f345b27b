// warn.ts: the CLI's warning lines ("hl: warning: ..."), silenced by --quiet.
// A warning can carry text a peer chose (an OTLP collector's or a
// Pushgateway's error answer): it is always made one inert line.
import { escapeControl } from '../inert-text';

let quiet = false;

export function quietWarnings(): void {
  quiet = true;
}

export function warn(message: string): void {
  if (!quiet) process.stderr.write(`hl: warning: ${escapeControl(message)}\n`);
}
