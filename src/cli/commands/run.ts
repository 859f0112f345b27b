// run.ts: `hl run <guest> --fn <name> [--arg <value>]...`
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { formatSignature } from '../../abi/types';
import { Sandbox } from '../../sandbox';
import { ErrorCode, HlError, usage } from '../../sandbox/errors';
import { suggest } from '../../sandbox/sandbox';
import { formatText, jsonValue } from '../format';
import { defaultHostFunctions } from '../host-functions';
import { parseArg } from '../parse-arg';
import { addMemoryOptions, memoryOptions } from '../sandbox-options';
import { parseDuration } from '../units';

interface RunOptions {
  fn: string;
  arg: string[];
  json?: boolean;
  timeout?: number;
  [k: string]: unknown;
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('load a guest into a micro-VM and call one of its functions')
    .argument('<guest>', 'guest image (a static ELF built with the hl guest SDK)')
    .argument('[args...]', 'more arguments, after --, for values that start with "-"')
    .requiredOption('--fn <name>', 'guest function to call')
    .option('--arg <value>', 'an argument, converted to the declared parameter type (repeat in order)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--json', 'print one JSON object: function, type, result, durationUs')
    .option('--timeout <duration>', 'cancel the run (guest start-up included) after this long, e.g. 500ms, 2s; exit 124', (v) => parseDuration(v, '--timeout'));
  addMemoryOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Arguments by declared type: integers in decimal or 0x hex (range-checked), true/false,
floats (also nan, inf), strings as UTF-8, bytes as @file, - (standard input) or text.

Examples:
  $ hl run guests/bin/simpleguest.bin --fn Echo --arg hello
  $ hl run guests/bin/simpleguest.bin --fn Add --arg 2 --arg 0x10
  $ hl run guests/bin/simpleguest.bin --fn EchoBytes --arg @photo.jpg > copy.jpg
  $ hl run guests/bin/simpleguest.bin --fn Echo --json -- --starts-with-dash
  $ hl run guests/bin/simpleguest.bin --fn Spin --timeout 500ms`,
  );
  return cmd.action(async (guest: string, extra: string[], opts: RunOptions) => {
    process.exitCode = await run(guest, [...opts.arg, ...extra], opts);
  });
}

async function run(guest: string, words: string[], opts: RunOptions): Promise<number> {
  const controller = new AbortController();
  const deadline = opts.timeout;
  const timer = deadline !== undefined ? setTimeout(() => controller.abort(new Error(`timed out after ${deadline} ms (--timeout)`)), deadline) : undefined;
  let sandbox: Sandbox | undefined;
  try {
    sandbox = await Sandbox.create(guest, { ...memoryOptions(opts), hostFunctions: defaultHostFunctions, signal: controller.signal });
    const sig = sandbox.signature(opts.fn);
    if (!sig) {
      const names = sandbox.functions.map((f) => f.name);
      throw new HlError(ErrorCode.UnknownFunction, `the guest has no function "${opts.fn}"${suggest(opts.fn, names)}; it has: ${names.join(', ')}`);
    }
    if (words.length !== sig.params.length) {
      throw usage(`${formatSignature(sig)} takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, got ${words.length}`);
    }
    let stdin: Buffer | undefined;
    const args = sig.params.map((type, i) =>
      parseArg(type, words[i], { what: `argument ${i + 1} of ${sig.name}`, stdin: () => (stdin ??= readFileSync(0)) }),
    );
    const callStart = process.hrtime.bigint();
    const result = await sandbox.call(sig.name, args, { signal: controller.signal });
    const durationUs = Number(process.hrtime.bigint() - callStart) / 1000;
    if (opts.json) {
      process.stdout.write(JSON.stringify({ function: sig.name, type: sig.returns, result: jsonValue(sig.returns, result), durationUs: Math.round(durationUs * 10) / 10 }) + '\n');
    } else {
      const text = formatText(sig.returns, result);
      if (text instanceof Uint8Array && process.stdout.isTTY) process.stdout.write(Buffer.from(text).toString('hex') + '\n');
      else if (text !== undefined) process.stdout.write(text);
    }
    return 0;
  } finally {
    if (timer) clearTimeout(timer);
    sandbox?.dispose();
  }
}
