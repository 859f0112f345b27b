// function-table.ts: decodes the FUNCTIONS message a guest sends at the end of
// its init: bounded count, identifier names, known types, no duplicates.
import * as abi from './constants';
import { type Reader, violation } from './codec';
import { checkFunctionName } from './function-name';
import { type FunctionSignature, type ParamType, typeFromCode } from './types';

/** Parses the FUNCTIONS message the guest sends at the end of its init. */
export function readFunctionTable(r: Reader, kind: number): FunctionSignature[] {
  if (kind !== abi.HL_MSG_FUNCTIONS) throw violation(`init ended with message kind ${kind}, not a function table`);
  const count = r.u32();
  r.reserved();
  if (count > abi.HL_MAX_FUNCTIONS) throw violation(`${count} functions (the limit is ${abi.HL_MAX_FUNCTIONS})`);
  const fns: FunctionSignature[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const name = r.string(abi.HL_MAX_NAME_LEN);
    checkFunctionName(name); // INVALID_GUEST: the image, not the call, is at fault
    const sig = r.value(1 + abi.HL_MAX_ARGS);
    if (sig.type !== 'bytes' || (sig.value as Uint8Array).length < 1) throw violation(`bad signature for ${name}`);
    const types = [...(sig.value as Uint8Array)].map((c) => typeFromCode(c));
    if (types.some((t) => t === undefined) || types.slice(1).includes('void')) throw violation(`bad signature for ${name}`);
    if (seen.has(name)) throw violation(`function name "${name}" registered twice`);
    seen.add(name);
    fns.push({ name, returns: types[0]!, params: types.slice(1) as ParamType[] });
  }
  r.end('the function table');
  return fns;
}

