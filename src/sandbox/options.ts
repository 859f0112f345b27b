// options.ts: what an embedder can set for a sandbox and for one call.
import type { SandboxObserver } from './events';
import type { HostFunction } from './host-calls';
import type { MemoryOptions } from './layout';
import type { GuestProfile } from './profile';
import type { GdbOptions } from './debug-call';

export interface SandboxOptions extends MemoryOptions {
  hostFunctions?: HostFunction[];
  observer?: SandboxObserver;
  /** Lowest guest log level that leaves the VM (0 trace .. 5 critical, 6 off).
   * Default: what the log filter enables for hyperlight_guest, or 0 when
   * `observer` has onGuestLog. */
  guestLogLevel?: number;
  /** How long the JS thread waits synchronously for a short guest run before
   * yielding to the event loop (microseconds, default 100; 0 always yields). */
  spinUs?: number;
  /** Log records one call may send (default 10,000). Past it, the guest's
   * logging is switched off until the call ends, so a flood costs nothing. */
  maxGuestLogsPerCall?: number;
  /** Bytes of log text (message + file) one call may send (default 1 MiB);
   * a record that would pass it is dropped and logging is switched off as above. */
  maxGuestLogBytesPerCall?: number;
  /** Records the guest and host function call duration histograms (off by default). */
  functionCallMetrics?: boolean;
  /** Bounds guest initialisation (milliseconds). */
  timeoutMs?: number;
  /** Accept an image with a writable and executable segment (off: such an image is INVALID_GUEST). */
  allowWriteExecute?: boolean;
  signal?: AbortSignal;
  /** On a fault, an abort or an ABI violation, write an ELF core file of the
   * guest into this folder (created if missing) for `gdb GUEST CORE`; the
   * error's message and `details.coreDump` name the file. */
  coreDumpDir?: string;
}

export interface CallOptions {
  /** Cancels the call after this many milliseconds. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Samples the guest's stack while the call runs, into this profile
   * (`new GuestProfile({ hz })`; then `.folded()` or `.svg()`). */
  profile?: GuestProfile;
  /** Runs the call under gdb: it waits, stopped at the function's entry, for
   * `gdb -ex 'target remote HOST:PORT' GUEST` (docs/debugging.md). */
  gdb?: GdbOptions;
}
