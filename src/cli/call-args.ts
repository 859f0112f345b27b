// call-args.ts: finds the function a command names and converts its words
// into typed arguments (shared by run and bench).
import type { Command } from 'commander';
import { readBounded } from './read-bounded';
import type { FunctionSignature, JsValue } from '../abi/types';
import type { Sandbox } from '../sandbox';
import { parseArg } from './parse-arg';

/** The guest, the function and its arguments, as `run` and `bench` take them. */
export function addCallArguments(cmd: Command): Command {
  return cmd
    .argument('<guest>', 'guest image (a static ELF built with the hl guest SDK)')
    .argument('[args...]', 'more arguments, after --, for values that start with "-"')
    .requiredOption('--fn <name>', 'guest function to call')
    .option('--arg <value>', 'an argument, converted to the declared parameter type (repeat in order)', (v: string, acc: string[]) => [...acc, v], [] as string[]);
}

export function resolveCall(sandbox: Sandbox, fn: string, words: string[]): { sig: FunctionSignature; args: JsValue[] } {
  const sig = sandbox.lookup(fn, words.length, true);
  let stdin: Buffer | undefined;
  const maxBytes = sandbox.layout.input.size;
  const args = sig.params.map((type, i) => {
    const what = `argument ${i + 1} of ${sig.name}`;
    return parseArg(type, words[i], { what, maxBytes, stdin: () => (stdin ??= readBounded(0, maxBytes, what)) });
  });
  return { sig, args };
}
