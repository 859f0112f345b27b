// guests-path.ts: `hl guests-path` prints where the bundled guests (and, with
// --sdk, the guest SDK) are, so scripts find them wherever hl is installed.
import * as path from 'node:path';
import { Command } from 'commander';
import { packageRoot } from '../../package-root';


export function guestsPathCommand(): Command {
  return new Command('guests-path')
    .description('print the directory of the bundled sample guests (or of the guest SDK with --sdk)')
    .option('--sdk', 'print the guest SDK directory instead (include $SDK/hl.mk from a Makefile)')
    .addHelpText('after', `
Examples:
  $ hl run "$(hl guests-path)/simpleguest.bin" --fn Echo --arg hi
  $ make HL_SDK="$(hl guests-path --sdk)"`)
    .action((opts: { sdk?: boolean }) => {
      process.stdout.write(path.join(packageRoot(), 'guests', opts.sdk ? 'sdk' : 'bin') + '\n');
    });
}
