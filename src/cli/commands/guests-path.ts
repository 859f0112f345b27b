// guests-path.ts: `hl guests-path` prints where the bundled guests (and, with
// --sdk, the guest SDK) are, so scripts find them wherever hl is installed.
import { Command } from 'commander';
import { guestsPath, sdkPath } from '../../package-root';


export function guestsPathCommand(): Command {
  return new Command('guests-path')
    .description('print the directory of the bundled sample guests (or of the guest SDK with --sdk)')
    .option('--sdk', 'print the guest SDK directory instead (include $SDK/hl.mk from a Makefile)')
    .addHelpText('after', `
Examples:
  $ hl run "$(hl guests-path)/simpleguest.bin" --fn Echo --arg hi
  $ make HL_SDK="$(hl guests-path --sdk)"`)
    .action((opts: { sdk?: boolean }) => {
      process.stdout.write((opts.sdk ? sdkPath() : guestsPath()) + '\n');
    });
}
