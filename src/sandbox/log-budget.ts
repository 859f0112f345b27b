// log-budget.ts: what one guest call may log, in records and in bytes. A
// record count alone let a guest with 64 KiB records deliver 640 MiB per call
// to the embedder's logger; the byte budget bounds that too.

/** Log records one call may deliver (`maxGuestLogsPerCall`). */
export const DEFAULT_MAX_LOGS = 10_000;
/** Bytes of guest log text (message + file) one call may deliver (`maxGuestLogBytesPerCall`). */
export const DEFAULT_MAX_LOG_BYTES = 1024 * 1024;

export type LogCap = 'records' | 'bytes';

/** One call's guest logging: what was delivered, what was dropped, and which cap ended it. */
export class LogBudget {
  records = 0;
  bytes = 0;
  droppedRecords = 0;
  droppedBytes = 0;
  /** Set once the call reached a cap; every later record is dropped. */
  capped: LogCap | undefined;

  constructor(
    readonly maxRecords = DEFAULT_MAX_LOGS,
    readonly maxBytes = DEFAULT_MAX_LOG_BYTES,
  ) {}

  /**
   * Whether a record of `bytes` bytes is delivered. The record that reaches
   * the record limit is the last delivered; one that would pass the byte
   * limit is the first dropped (so delivered bytes never exceed the limit).
   */
  take(bytes: number): boolean {
    if (!this.capped && this.records >= this.maxRecords) this.capped = 'records';
    if (!this.capped && this.bytes + bytes > this.maxBytes) this.capped = 'bytes';
    if (this.capped) {
      this.droppedRecords++;
      this.droppedBytes += bytes;
      return false;
    }
    this.records++;
    this.bytes += bytes;
    if (this.records >= this.maxRecords) this.capped = 'records';
    return true;
  }
}
