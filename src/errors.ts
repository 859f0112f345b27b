// errors.ts: every failure hl reports is an HlError with a stable code.
// The CLI maps codes to exit statuses (src/cli/exit-codes.ts).

export const ErrorCode = {
  /** Misuse of the API or CLI: bad option, wrong argument count or type. */
  Usage: 'USAGE',
  /** The guest has no function of that name. */
  UnknownFunction: 'UNKNOWN_FUNCTION',
  /** The guest image cannot be read. */
  ImageUnreadable: 'IMAGE_UNREADABLE',
  /** The file is not an hl guest (not ELF, wrong machine, no hl note, wrong ABI). */
  InvalidGuest: 'INVALID_GUEST',
  /** /dev/kvm is missing or unusable. */
  KvmUnavailable: 'KVM_UNAVAILABLE',
  /** The guest function returned an error (code + message). */
  GuestError: 'GUEST_ERROR',
  /** The guest called abort. */
  GuestAborted: 'GUEST_ABORTED',
  /** The guest crashed: an exception, a memory fault, a stack overflow. */
  GuestFault: 'GUEST_FAULT',
  /** The guest wrote output that breaks the ABI. */
  AbiViolation: 'ABI_VIOLATION',
  /** The call was cancelled (timeout or kill). */
  Cancelled: 'CANCELLED',
  /** An earlier crash or cancellation left the sandbox unusable until restore(). */
  Poisoned: 'POISONED',
  /** The sandbox was disposed. */
  Disposed: 'DISPOSED',
  /** A host function called back into its own sandbox (call, snapshot, restore), whose guest waits for it. */
  Reentrant: 'REENTRANT',
  /** A host function threw (reported to the guest, and here if the guest gives up). */
  HostFunction: 'HOST_FUNCTION',
  /** KVM or the addon failed unexpectedly. */
  Internal: 'INTERNAL',
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export class HlError extends Error {
  override readonly name: string = 'HlError';
  readonly code: ErrorCodeValue;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCodeValue, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
  }
}

/** What to change for the SDK's resource errors (HL_ERR_OUT_OF_MEMORY, HL_ERR_OUTPUT_FULL in hl_abi.h, with the SDK's text). */
function sdkErrorHint(code: number, message: string): string {
  if (code === 4 && message === 'out of memory') return ' (the guest heap is full: raise heapSize, --heap-size on the CLI)';
  if (code === 5 && message === 'result does not fit in the output buffer') return ' (raise outputSize, --output-size on the CLI)';
  return '';
}

/** The guest function returned an error: `guestCode` and `guestMessage` are the guest's own. */
export class GuestError extends HlError {
  override readonly name = 'GuestError';
  constructor(
    readonly guestCode: number,
    readonly guestMessage: string,
    fn: string,
  ) {
    super(ErrorCode.GuestError, `guest function ${fn} returned error ${guestCode}: ${guestMessage}${sdkErrorHint(guestCode, guestMessage)}`, {
      guestCode,
      guestMessage,
      function: fn,
    });
  }
}

/** What kind of crash a GuestFault is. */
export type FaultKind =
  | 'stack_overflow'
  | 'null_pointer'
  | 'out_of_bounds'
  | 'page_fault'
  | 'general_protection'
  | 'invalid_opcode'
  | 'divide_error'
  | 'exception'
  | 'shutdown';

export class GuestFault extends HlError {
  override readonly name = 'GuestFault';
  constructor(
    readonly kind: FaultKind,
    message: string,
    details: Record<string, unknown>,
  ) {
    super(ErrorCode.GuestFault, message, { kind, ...details });
  }
}

/** Adds to an error on its way out: a suffix to its one line, and details. */
export function annotate(err: HlError, suffix: string, details: Record<string, unknown>): void {
  err.message += suffix;
  Object.defineProperty(err, 'details', { value: { ...err.details, ...details }, enumerable: true });
}

export function usage(message: string, details: Record<string, unknown> = {}): HlError {
  return new HlError(ErrorCode.Usage, message, details);
}
