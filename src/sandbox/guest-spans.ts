// guest-spans.ts: the guest's own spans (hl_span_* in the SDK), recorded in
// guest memory with the guest's TSC and no VM exit, turned into child spans of
// the call after it ends. Recording is on only while a sampled span consumes it.
import * as abi from '../abi/constants';
import { decodeTraceBuffer } from '../abi/trace-records';
import { GUEST_TARGET, HostLog, Level } from '../observability/logging';
import type { SpanRef } from '../observability/log-filter';
import { type Span, nowMs } from '../observability/tracing';
import type { SpanBudget } from '../observability/span-budget';
import type { Region } from './layout';
import { type RunIntervals, guestClock } from './guest-clock';

const log = new HostLog('sandbox');

export class GuestSpans {
  private on = false;
  private tscKhz: number | undefined;

  constructor(
    private readonly vm: { read(gpa: number, len: number): Buffer; write(gpa: number, data: Uint8Array): void; tscKhz(): number },
    private readonly region: Region,
  ) {}

  /** Switches the guest's recording on or off for the next call (a PEB write only when it changes). */
  setRecording(on: boolean): void {
    if (on === this.on) return;
    const b = Buffer.alloc(4);
    b.writeUInt32LE(on ? 1 : 0);
    this.vm.write(abi.HL_PEB_ADDR + abi.HlPebOffsets.trace_enabled, b);
    this.on = on;
  }

  /** Turns the guest's span records of this call into child spans of `call`. */
  collect(call: Span, runs: RunIntervals, entryMs: number, budget: SpanBudget, spans: SpanRef[]): void {
    const t = this.region;
    const head = this.vm.read(t.addr, abi.HlTraceHeaderSize);
    const used = head.readUInt32LE(abi.HlTraceHeaderOffsets.used);
    if (used > t.size - abi.HlTraceHeaderSize) {
      log.warn('guest trace buffer claims more than it holds; guest spans dropped', { used }, spans);
      return;
    }
    const buf = decodeTraceBuffer(head, this.vm.read(t.addr + abi.HlTraceHeaderSize, used));
    if (buf.malformed) log.warn(`malformed guest trace records (${buf.malformed}); later ones dropped`, {}, spans);
    if (buf.dropped) call.setAttribute('guest.spans_dropped', buf.dropped);
    if (buf.records.length === 0) return;
    this.tscKhz ??= this.vm.tscKhz();
    // The guest stamps its TSC at entry; KVM_GET_TSC_KHZ gives the rate; the vCPU runs bound it (guest-clock.ts).
    const at = guestClock(buf.startTsc, this.tscKhz, runs, entryMs);
    const endMs = runs.length ? runs.ends[runs.length - 1] : nowMs();
    const open = new Map<number, Span>();
    for (const r of buf.records) {
      if (r.kind === abi.HL_TRACE_BEGIN) {
        if (open.has(r.span) || !budget.take()) continue;
        open.set(r.span, (open.get(r.parent) ?? call).child(r.name || '(unnamed)', Level.info, GUEST_TARGET, {}, at(r.tsc)));
      } else {
        const s = open.get(r.span);
        if (!s) continue;
        if (r.kind === abi.HL_TRACE_END) {
          s.end(at(r.tsc));
          open.delete(r.span);
        } else if (r.kind === abi.HL_TRACE_EVENT) s.addEvent(r.name, undefined, at(r.tsc));
        else if (r.kind === abi.HL_TRACE_ATTR) s.setAttribute(r.name, r.value ?? '');
      }
    }
    for (const s of open.values()) {
      s.setAttribute('hl.unclosed', true); // ended by the call's end (a crash, or a missing hl_span_end)
      s.end(endMs);
    }
  }
}
