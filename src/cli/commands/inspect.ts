// inspect.ts: `hl inspect <guest>` lists the functions a guest registers.
import { Command } from 'commander';
import { formatSignature } from '../../abi/types';
import { Sandbox } from '../../sandbox';
import { escapeControl, jsonText } from '../../inert-text';
import { addLogOptions, applyLogOptions } from '../log-options';
import { addMemoryOptions, memoryOptions } from '../sandbox-options';
import { parseDuration } from '../units';

export function inspectCommand(): Command {
  const cmd = new Command('inspect')
    .description('boot a guest and list its functions and their signatures')
    .argument('<guest>', 'guest image')
    .option('--json', 'print JSON: {functions: [{name, params, returns}], memory: {...}}')
    .option('--names', 'print only the function names, one per line (for scripts and completion)')
    .option('--timeout <duration>', 'give up if the guest has not finished its init by then (exit 124)', (v) => parseDuration(v, '--timeout'));
  addMemoryOptions(cmd);
  addLogOptions(cmd);
  cmd.addHelpText('after', `
Examples:
  $ hl inspect guests/bin/simpleguest.bin
  $ hl inspect guests/bin/simpleguest.bin --json | jq -r '.functions[].name'`);
  return cmd.action(async (guest: string, opts: { json?: boolean; names?: boolean; timeout?: number; log?: string; logFormat?: string } & Record<string, unknown>) => {
    applyLogOptions(opts);
    const sandbox = await Sandbox.create(guest, { ...memoryOptions(opts), timeoutMs: opts.timeout });
    try {
      if (opts.json) {
        const l = sandbox.layout;
        const memory = { total: l.memSize, heap: l.heap.size, stack: l.stack.size, input: l.input.size, output: l.output.size };
        process.stdout.write(jsonText({ functions: sandbox.functions, memory }, 2) + '\n');
      } else {
        // Names are identifiers (the ABI checks them); on a terminal each line is
        // still shown inert, whatever the future lets a guest name.
        const shown = (line: string) => (process.stdout.isTTY ? escapeControl(line) : line);
        for (const f of sandbox.functions) process.stdout.write(shown(opts.names ? f.name : formatSignature(f)) + '\n');
      }
    } finally {
      sandbox.dispose();
    }
  });
}
