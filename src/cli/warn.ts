// warn.ts: the CLI's warning lines ("hl: warning: ..."), silenced by --quiet.
let quiet = false;

export function quietWarnings(): void {
  quiet = true;
}

export function warn(message: string): void {
  if (!quiet) process.stderr.write(`hl: warning: ${message}\n`);
}
