// sandbox-options.ts: the memory, image and core-dump flags shared by the commands that boot a guest.
import { type Command, Option } from 'commander';
import type { MemoryOptions, SandboxOptions } from '../sandbox';
import { MEMORY_DEFAULTS } from '../sandbox/layout';
import { parseSize } from './units';

const FLAGS: [keyof MemoryOptions, string, string][] = [
  ['heapSize', '--heap-size <size>', 'guest heap'],
  ['stackSize', '--stack-size <size>', 'guest stack'],
  ['inputSize', '--input-size <size>', 'buffer for a call and its arguments'],
  ['outputSize', '--output-size <size>', 'buffer for results, logs and host calls'],
];

const human = (n: number) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024}MiB` : `${n / 1024}KiB`);

export function addMemoryOptions(cmd: Command): Command {
  for (const [key, flags, what] of FLAGS) {
    cmd.addOption(new Option(flags, `${what} (default ${human(MEMORY_DEFAULTS[key])})`).argParser((v) => parseSize(v, flags.split(' ')[0])));
  }
  cmd.addOption(new Option('--core-dump <dir>', 'on a guest fault, abort or ABI violation, write an ELF core file there for `gdb GUEST CORE`').env('HL_CORE_DUMP_DIR'));
  cmd.addOption(new Option('--allow-write-execute', 'accept a guest image with a writable and executable segment (refused by default)'));
  return cmd;
}

export function memoryOptions(opts: Record<string, unknown>): MemoryOptions & Pick<SandboxOptions, 'allowWriteExecute' | 'coreDumpDir'> {
  const out: MemoryOptions & Pick<SandboxOptions, 'allowWriteExecute' | 'coreDumpDir'> = {};
  if (opts.allowWriteExecute === true) out.allowWriteExecute = true;
  if (typeof opts.coreDump === 'string' && opts.coreDump !== '') out.coreDumpDir = opts.coreDump;
  for (const [key] of FLAGS) if (typeof opts[key] === 'number') out[key] = opts[key] as number;
  if (out.outputSize !== undefined) out.replySize = out.outputSize;
  return out;
}
