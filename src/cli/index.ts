// index.ts: composes the hl command; each command lives in commands/.
import { Command, CommanderError } from 'commander';
import { benchCommand } from './commands/bench';
import { completionCommand } from './commands/completion';
import { doctorCommand } from './commands/doctor';
import { guestsPathCommand } from './commands/guests-path';
import { inspectCommand } from './commands/inspect';
import { runCommand } from './commands/run';
import { ExitCode } from './exit-codes';
import { handleError } from './handle-error';

const VERSION: string = require('../../../package.json').version;

export function buildProgram(): Command {
  const program = new Command('hl')
    .description('run untrusted guest binaries in KVM micro-VMs and call their functions')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const cmd of [runCommand(), inspectCommand(), benchCommand(), doctorCommand(), guestsPathCommand(), completionCommand(() => program)]) {
    cmd.exitOverride().showSuggestionAfterError(true);
    program.addCommand(cmd);
  }
  program.addHelpText('after', `
Exit codes: 0 ok, 1 other failure, 2 usage, 3 guest returned an error, 66 bad guest image,
69 KVM unavailable, 124 cancelled (timeout), 134 guest crashed or aborted.

Examples:
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hello
  $ hl inspect guests/bin/simpleguest.bin
  $ hl doctor`);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message already; help and version are not errors.
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    process.exitCode = handleError(err);
  }
}
