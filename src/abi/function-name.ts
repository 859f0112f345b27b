// function-name.ts: the ABI's rule for guest function names. A name is an
// identifier, so no shell, terminal or completion script that shows it can
// read it as anything but a word (docs/abi.md, "Function names").
import * as abi from './constants';
import { ErrorCode, HlError } from '../errors';
import { escapeControl } from '../inert-text';

/** ASCII letters, digits and _, not starting with a digit: a C identifier. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isFunctionName(name: string): boolean {
  return name.length <= abi.HL_MAX_NAME_LEN && IDENTIFIER.test(name);
}

/** INVALID_GUEST for a name outside the rule, the name shown escaped (it is the guest's). */
export function checkFunctionName(name: string): void {
  if (isFunctionName(name)) return;
  throw new HlError(
    ErrorCode.InvalidGuest,
    `not a valid hl guest: function name "${escapeControl(name)}" is not an identifier (ASCII letters, digits and _, not starting with a digit, at most ${abi.HL_MAX_NAME_LEN} bytes)`,
    { function: name },
  );
}
