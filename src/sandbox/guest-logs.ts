// guest-logs.ts: the bridge from the guest's log records to hl's logger
// (target hyperlight_guest) and the observers. It keeps the PEB's level at the
// lowest level anything consumes, so records nobody wants never leave the VM,
// and caps what one call may send (LogBudget).
import * as abi from '../abi/constants';
import type { Reader } from '../abi/codec';
import { decodeLogRecord } from '../abi/messages';
import { GUEST_TARGET, HostLog, emit, guestMinLevel, levelFromGuest, loggingVersion } from '../observability/logging';
import { usage } from '../errors';
import type { CallContext } from './call-context';
import { notify, type SandboxObserver } from './events';
import { DEFAULT_MAX_LOGS, DEFAULT_MAX_LOG_BYTES, LogBudget } from './log-budget';

export interface GuestLogOptions {
  guestLogLevel?: number;
  maxGuestLogsPerCall?: number;
  maxGuestLogBytesPerCall?: number;
  /** The embedder's own observer: with onGuestLog it wants every record. */
  observer?: SandboxObserver;
}

const log = new HostLog('sandbox');

export class GuestLogBridge {
  /** The level in the PEB, the embedder's override, and the logging config it came from. */
  private appliedLevel = -1;
  private explicitLevel: number | undefined;
  private appliedVersion = -1;

  constructor(
    private readonly write: (gpa: number, data: Uint8Array) => void,
    private readonly options: GuestLogOptions,
    /** Every observer, hl's metrics among them. */
    private readonly observer: SandboxObserver | undefined,
  ) {
    this.explicitLevel = options.guestLogLevel;
  }

  /** Changes the lowest guest log level that leaves the VM. */
  setLevel(level: number | undefined): void {
    if (level !== undefined && (!Number.isInteger(level) || level < 0 || level > abi.HL_LOG_OFF)) throw usage('guest log level must be 0..6');
    this.explicitLevel = level;
    this.appliedVersion = -1;
    this.sync();
  }

  /** Puts the lowest wanted level in the PEB: the embedder's, or what the log filter and observers want. */
  sync(): void {
    if (this.appliedVersion === loggingVersion()) return;
    // The embedder's own observer may want every record; hl's metrics only count those that leave the guest.
    const level = this.explicitLevel ?? Math.min(guestMinLevel(), this.options.observer?.onGuestLog ? abi.HL_LOG_TRACE : abi.HL_LOG_OFF);
    this.appliedVersion = loggingVersion();
    if (level !== this.appliedLevel) this.writeLevel(level);
    this.appliedLevel = level;
  }

  private writeLevel(level: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(level);
    this.write(abi.HL_PEB_ADDR + abi.HlPebOffsets.max_log_level, b);
  }

  /** One record from HL_PORT_LOG. */
  handle(kind: number, r: Reader, ctx: CallContext): void {
    const { level, line, message, file } = decodeLogRecord(kind, r);
    const budget = (ctx.logBudget ??= new LogBudget(this.options.maxGuestLogsPerCall ?? DEFAULT_MAX_LOGS, this.options.maxGuestLogBytesPerCall ?? DEFAULT_MAX_LOG_BYTES));
    const wasCapped = budget.capped;
    // Past a cap a guest built with the SDK stops sending; one that ignores the PEB is dropped here.
    if (budget.take(Buffer.byteLength(message) + Buffer.byteLength(file))) {
      notify(this.observer, 'onGuestLog', { level, message, file, line });
      emit(GUEST_TARGET, levelFromGuest(level), message, level === abi.HL_LOG_CRITICAL ? { file, line, critical: true } : { file, line }, ctx.spans);
    }
    if (!wasCapped && budget.capped) {
      this.writeLevel(abi.HL_LOG_OFF); // the rest of this call's records stay in the guest
      notify(this.observer, 'onGuestLogsCapped', { limit: budget.maxRecords, limitBytes: budget.maxBytes, reason: budget.capped });
    }
  }

  /** At the end of a call that hit its cap: the guest's level back, and one record saying what was dropped. */
  endCall(ctx: CallContext, vmUsable: boolean): void {
    const b = ctx.logBudget;
    if (!b?.capped) return;
    if (vmUsable) this.writeLevel(this.appliedLevel);
    const fields = { limit: b.maxRecords, limit_bytes: b.maxBytes, delivered_records: b.records, delivered_bytes: b.bytes, dropped_records: b.droppedRecords, dropped_bytes: b.droppedBytes };
    log.warn(`guest log output capped for this call at its ${b.capped} limit; later records were dropped (those an SDK guest kept are not counted)`, fields, ctx.spans);
  }
}
