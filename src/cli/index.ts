// index.ts: composes the hl command; each command lives in commands/.
import { packageVersion } from '../package-root';
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes';
import { handleError } from './handle-error';
import { mustEndProcess } from './flush-deadline';
import { bindOptionalValues } from './optional-values';
import { escapeControl } from '../inert-text';

const VERSION = packageVersion();

/**
 * Each command's module, loaded only when needed: start-up is a feature, and
 * `hl run` should not pay for loading `bench` or `completion`.
 */
const COMMANDS: Record<string, (program: Command) => Command> = {
  run: () => (require('./commands/run') as typeof import('./commands/run')).runCommand(),
  inspect: () => (require('./commands/inspect') as typeof import('./commands/inspect')).inspectCommand(),
  bench: () => (require('./commands/bench') as typeof import('./commands/bench')).benchCommand(),
  doctor: () => (require('./commands/doctor') as typeof import('./commands/doctor')).doctorCommand(),
  'guests-path': () => (require('./commands/guests-path') as typeof import('./commands/guests-path')).guestsPathCommand(),
  completion: (program) => (require('./commands/completion') as typeof import('./commands/completion')).completionCommand(() => withAllCommands(program)),
};

let complete = false;
function withAllCommands(program: Command): Command {
  if (complete) return program;
  complete = true;
  const have = new Set(program.commands.map((c) => c.name()));
  for (const [name, make] of Object.entries(COMMANDS)) if (!have.has(name)) add(program, make(program));
  return program;
}

/** Commander's own messages get the same "hl: " prefix as every other error line. */
/** Commander's errors as one line: its "(Did you mean X?)" hint joins the error line. */
const OUTPUT = { outputError: (text: string, write: (s: string) => void) => write(`hl: ${text.trimEnd().replace(/\n\(Did you mean ([^)]*)\)$/, ' (did you mean $1)').replace(/\n+/g, ' ')}\n`) };

function add(program: Command, cmd: Command): void {
  cmd.exitOverride().showSuggestionAfterError(true).configureOutput(OUTPUT);
  program.addCommand(cmd);
}

/** With `argv`, only the command it names is loaded (all of them for help, typos and completion). */
export function buildProgram(argv?: string[]): Command {
  complete = false;
  const program = new Command('hl')
    .description('run untrusted guest binaries in KVM micro-VMs and call their functions')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput(OUTPUT)
    .exitOverride();
  const named = argv?.[2];
  if (named && named !== 'completion' && COMMANDS[named]) add(program, COMMANDS[named](program));
  else withAllCommands(program);
  program.addHelpText('after', `
Exit codes: 0 ok, 1 other failure, 2 usage, 3 guest returned an error, 66 bad guest image,
69 KVM unavailable, 74 an output file could not be written, 124 cancelled (timeout),
130/143 interrupted (SIGINT/SIGTERM), 134 guest crashed or aborted.

Examples:
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hello
  $ hl inspect guests/bin/simpleguest.bin
  $ hl doctor`);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  if (argv.length <= 2) {
    // No command: the help, on stderr, as a usage error (exit 2).
    process.stderr.write(program.helpInformation());
    process.exitCode = ExitCode.Usage;
    return;
  }
  // `hl help frob` would print the general help and exit 0: say what is wrong instead.
  if (argv[2] === 'help' && argv[3] !== undefined && !program.commands.some((c) => c.name() === argv[3] || c.aliases().includes(argv[3]))) {
    process.stderr.write(`hl: error: unknown command '${escapeControl(argv[3])}' (hl --help lists the commands)\n`);
    process.exitCode = ExitCode.Usage;
    return;
  }
  try {
    await program.parseAsync(bindOptionalValues(argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its message already; help and version are not errors.
      const ok = err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help';
      process.exitCode = ok ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    process.exitCode = handleError(err);
  }
  // A collector or gateway abandoned at the flush deadline may still hold a
  // socket or timer open: the documented bound ends the process here. The
  // output is all written: stdout and stderr are synchronous for files, pipes
  // and terminals on Linux.
  if (mustEndProcess()) process.exit();
}
