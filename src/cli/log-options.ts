// log-options.ts: --log and --log-format, shared by the commands that boot a guest.
import { type Command, Option } from 'commander';
import { configureLogging, envFilter } from '../observability/logging';

export function addLogOptions(cmd: Command): Command {
  return cmd
    .option('--log <filter>', 'log filter directives, RUST_LOG style (overrides HL_LOG and RUST_LOG), e.g. "info", "warn,hyperlight_guest=trace", "off"')
    .addOption(new Option('--log-format <format>', 'pretty (default) or json (one object per line); logs go to stderr').choices(['pretty', 'json']).default('pretty'));
}

/** Applies the flags: --log beats HL_LOG, which beats RUST_LOG; the default is "error". */
export function applyLogOptions(opts: { log?: string; logFormat?: string }): void {
  configureLogging({ filter: opts.log ?? envFilter(), format: opts.logFormat === 'json' ? 'json' : 'pretty' });
}
