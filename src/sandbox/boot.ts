// boot.ts: from a guest image to a VM ready for its init: read and check the
// file, create the VM, map and copy the segments, the buffers, heap and stack,
// and write the PEB. Nothing here runs the guest.
import * as fs from 'node:fs';
import * as abi from '../abi/constants';
import { MapFlags, type RawVm, addonError, loadAddon } from '../native';
import { ErrorCode, HlError } from '../errors';
import type { GuestImage } from './elf';
import type { Layout, Region } from './layout';

const MAX_IMAGE_FILE = 256 * 1024 * 1024;

/** Reads the image synchronously: for a file of a few KiB this takes ~40 us,
 * where fs.promises.readFile takes ~300 us on these machines. */
export function readImage(file: string): Buffer {
  try {
    const st = fs.statSync(file);
    if (st.isDirectory()) throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: it is a directory`);
    // A device or FIFO (/dev/zero, a pipe) could be endless: guests are files.
    if (!st.isFile()) throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: not a regular file`);
    if (st.size > MAX_IMAGE_FILE) throw new HlError(ErrorCode.InvalidGuest, `not a valid hl guest: ${file} is ${st.size} bytes, more than any guest image`);
    return fs.readFileSync(file);
  } catch (err) {
    if (err instanceof HlError) throw err;
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    throw new HlError(ErrorCode.ImageUnreadable, `cannot read guest ${file}: ${why}`, {}, { cause: err });
  }
}

export function createVm(memSize: number): RawVm {
  try {
    return new (loadAddon().Vm)(memSize);
  } catch (err) {
    throw addonError('cannot create the VM', err);
  }
}

export function loadInto(vm: RawVm, image: GuestImage, layout: Layout): void {
  const page = abi.HL_PAGE_SIZE;
  vm.mapRange(abi.HL_PEB_ADDR, page, MapFlags.User);
  for (const s of image.segments) {
    const from = Math.floor(s.vaddr / page) * page;
    const to = Math.ceil((s.vaddr + s.memsz) / page) * page;
    vm.mapRange(from, to - from, MapFlags.User | (s.write ? MapFlags.Write : 0) | (s.exec ? MapFlags.Exec : 0));
    vm.write(s.vaddr, s.data);
  }
  const rw = MapFlags.User | MapFlags.Write;
  for (const r of [layout.input, layout.output, layout.reply, layout.trace, layout.heap, layout.stack]) vm.mapRange(r.addr, r.size, rw);
}

export function writePeb(vm: RawVm, layout: Layout): void {
  const o = abi.HlPebOffsets;
  const b = Buffer.alloc(abi.HlPebSize);
  b.writeBigUInt64LE(abi.HL_GUEST_MAGIC, o.magic);
  b.writeUInt32LE(abi.HL_ABI_VERSION, o.abi_version);
  b.writeUInt32LE(abi.HL_LOG_OFF, o.max_log_level); // syncGuestLevel() sets the real one
  const put = (off: number, v: number) => b.writeBigUInt64LE(BigInt(v), off);
  put(o.input_addr, layout.input.addr);
  put(o.input_size, layout.input.size);
  put(o.output_addr, layout.output.addr);
  put(o.output_size, layout.output.size);
  put(o.reply_addr, layout.reply.addr);
  put(o.reply_size, layout.reply.size);
  put(o.heap_addr, layout.heap.addr);
  put(o.heap_size, layout.heap.size);
  put(o.stack_top, layout.stackTop);
  put(o.stack_size, layout.stack.size);
  put(o.trace_addr, layout.trace.addr);
  put(o.trace_size, layout.trace.size);
  b.writeUInt32LE(0, o.trace_enabled); // set per call, while a consumer records guest spans
  vm.write(abi.HL_PEB_ADDR, b);
}

/** Image data, heap, buffers and stack: everything the guest can write.
 * Restoring the buffers and stack too means no state survives a restore. */
export function snapshotRange(image: GuestImage, layout: Layout): Region {
  const writable = image.segments.filter((s) => s.write);
  const from = writable.length ? Math.floor(writable[0].vaddr / abi.HL_PAGE_SIZE) * abi.HL_PAGE_SIZE : layout.heap.addr;
  return { addr: from, size: layout.stackTop - from };
}

/** The executable ranges of the image (where a fault's RIP may be decoded). */
export function codeRanges(image: GuestImage): Region[] {
  return image.segments.filter((s) => s.exec).map((s) => ({ addr: s.vaddr, size: s.memsz }));
}
