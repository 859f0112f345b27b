// layout.ts: where the buffers, heap and stack of a sandbox go, above the
// guest image (the fixed part of the map is in native/memory/layout.h).
import * as abi from '../abi/constants';
import { usage } from '../errors';

export interface MemoryOptions {
  /** Guest heap in bytes (default 1 MiB). */
  heapSize?: number;
  /** Guest stack in bytes (default 256 KiB). */
  stackSize?: number;
  /** Buffer for a call and its arguments (default 64 KiB). */
  inputSize?: number;
  /** Buffer for results, logs and host-call requests (default 64 KiB). */
  outputSize?: number;
  /** Buffer for host-call replies (default 64 KiB). */
  replySize?: number;
}

export const MEMORY_DEFAULTS: Required<MemoryOptions> = {
  heapSize: 1024 * 1024,
  stackSize: 256 * 1024,
  inputSize: 64 * 1024,
  outputSize: 64 * 1024,
  replySize: 64 * 1024,
};

export interface Region {
  addr: number;
  size: number;
}

export interface Layout {
  input: Region;
  output: Region;
  reply: Region;
  /** Guest span records (hl_trace_header + records). */
  trace: Region;
  heap: Region;
  /** The unmapped page below the stack: a fault there is a stack overflow. */
  stackGuard: Region;
  stack: Region;
  stackTop: number;
  memSize: number;
}

const PAGE = abi.HL_PAGE_SIZE;
/** Room for ~1,300 guest span records per call; past it the guest counts drops. */
export const TRACE_SIZE = 32 * 1024;
const MIN: Record<keyof MemoryOptions, number> = { heapSize: PAGE, stackSize: 4 * PAGE, inputSize: PAGE, outputSize: PAGE, replySize: PAGE };

export function computeLayout(imageEnd: number, options: MemoryOptions = {}): Layout {
  const o = { ...MEMORY_DEFAULTS };
  for (const key of Object.keys(MEMORY_DEFAULTS) as (keyof MemoryOptions)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < MIN[key] || v > Number(abi.HL_MAX_GUEST_MEMORY)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`; // heapSize: --heap-size on the CLI
      throw usage(`${key} (${flag}) must be between ${MIN[key]} bytes and ${Number(abi.HL_MAX_GUEST_MEMORY) / 1024 / 1024} MiB, got ${v}`);
    }
    o[key] = Math.ceil(v / PAGE) * PAGE;
  }
  let at = imageEnd;
  const take = (size: number): Region => {
    const r = { addr: at, size };
    at += size;
    return r;
  };
  // The heap sits right after the image so that snapshots (image data + heap)
  // are one range without the scratch buffers, which every call rewrites.
  const heap = take(o.heapSize);
  const input = take(o.inputSize);
  const output = take(o.outputSize);
  const reply = take(o.replySize);
  const trace = take(TRACE_SIZE);
  const stackGuard = take(PAGE);
  const stack = take(o.stackSize);
  const stackTop = at;
  take(PAGE); // guard above the stack
  if (at > Number(abi.HL_MAX_GUEST_MEMORY)) {
    throw usage(`guest memory of ${at} bytes exceeds the limit of ${abi.HL_MAX_GUEST_MEMORY} bytes`);
  }
  return { input, output, reply, trace, heap, stackGuard, stack, stackTop, memSize: at };
}
