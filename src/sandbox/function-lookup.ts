// function-lookup.ts: finds a guest function by name and checks the argument
// count, for the library's call() and the CLI alike (one wording of each error).
import { type FunctionSignature, formatSignature } from '../abi/types';
import { ErrorCode, HlError, usage } from '../errors';
import { suggest } from './suggest';

/**
 * The signature of `name`, with `argCount` arguments: UNKNOWN_FUNCTION (with a
 * near miss, and with `listAll` every name the guest has) or USAGE otherwise.
 */
export function lookupFunction(byName: ReadonlyMap<string, FunctionSignature>, name: string, argCount: number, listAll = false): FunctionSignature {
  const sig = byName.get(name);
  if (!sig) {
    const names = [...byName.keys()];
    const all = listAll ? `; it has: ${names.join(', ')}` : '';
    throw new HlError(ErrorCode.UnknownFunction, `the guest has no function "${name}"${suggest(name, names)}${all}`);
  }
  if (argCount !== sig.params.length) {
    throw usage(`${formatSignature(sig)} takes ${sig.params.length} argument${sig.params.length === 1 ? '' : 's'}, got ${argCount}`);
  }
  return sig;
}
