// exit-codes.ts: the documented exit statuses of hl (README, "Exit codes").
import { ErrorCode, type ErrorCodeValue } from '../errors';

export const ExitCode = {
  Ok: 0,
  Failure: 1,
  Usage: 2,
  GuestError: 3,
  InvalidGuest: 66,
  KvmUnavailable: 69,
  /** An output the user named (--metrics-dump=FILE) could not be written (sysexits EX_IOERR). */
  IoError: 74,
  Cancelled: 124,
  Crashed: 134,
  /** Ctrl-C (SIGINT) cancelled the run: 128 + 2. */
  Interrupted: 130,
  /** SIGTERM cancelled the run: 128 + 15. */
  Terminated: 143,
} as const;

const byError: Record<ErrorCodeValue, number> = {
  [ErrorCode.Usage]: ExitCode.Usage,
  [ErrorCode.UnknownFunction]: ExitCode.Usage,
  [ErrorCode.ImageUnreadable]: ExitCode.InvalidGuest,
  [ErrorCode.InvalidGuest]: ExitCode.InvalidGuest,
  [ErrorCode.KvmUnavailable]: ExitCode.KvmUnavailable,
  [ErrorCode.GuestError]: ExitCode.GuestError,
  [ErrorCode.GuestAborted]: ExitCode.Crashed,
  [ErrorCode.GuestFault]: ExitCode.Crashed,
  [ErrorCode.AbiViolation]: ExitCode.Crashed,
  [ErrorCode.Cancelled]: ExitCode.Cancelled,
  [ErrorCode.Poisoned]: ExitCode.Crashed,
  [ErrorCode.Disposed]: ExitCode.Failure,
  [ErrorCode.Reentrant]: ExitCode.Usage,
  [ErrorCode.HostFunction]: ExitCode.Failure,
  [ErrorCode.Internal]: ExitCode.Failure,
};

export function exitCodeFor(code: ErrorCodeValue): number {
  return byError[code] ?? ExitCode.Failure;
}
