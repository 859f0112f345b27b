// elf.ts: validates a guest image before any of it reaches the VM. A guest is
// a static x86-64 ELF executable linked by the SDK at HL_IMAGE_BASE, with an
// "HL" note naming the ABI version and the dispatch entry.
import * as abi from '../abi/constants';
import { ErrorCode, HlError } from '../errors';

export interface Segment {
  vaddr: number;
  memsz: number;
  data: Buffer; // file bytes (filesz); the rest of memsz is zero
  write: boolean;
  exec: boolean;
}

export interface GuestImage {
  entry: number;
  dispatch: number;
  abiVersion: number;
  segments: Segment[];
  /** First byte past the highest segment, page aligned. */
  end: number;
}

/** Images may not reach above this: the buffers, heap and stack follow. */
export const MAX_IMAGE_SIZE = 64 * 1024 * 1024;
const PT_LOAD = 1;
const PT_NOTE = 4;
const PF_X = 1;
const PF_W = 2;
const MACHINES: Record<number, string> = { 3: 'x86 (32-bit)', 40: 'ARM', 62: 'x86-64', 183: 'AArch64', 243: 'RISC-V' };

function invalid(message: string): HlError {
  return new HlError(ErrorCode.InvalidGuest, `not a valid hl guest: ${message}`);
}

export interface ImageOptions {
  /** Accept segments that are both writable and executable (refused by default:
   * a guest could write code and run it, defeating the read-only text). */
  allowWriteExecute?: boolean;
}

export function parseGuestImage(file: Buffer, options: ImageOptions = {}): GuestImage {
  if (file.length === 0) throw invalid('the file is empty');
  if (file.length < 64 || file.readUInt32BE(0) !== 0x7f454c46) throw invalid('not an ELF file');
  if (file[4] !== 2) throw invalid('a 32-bit ELF; hl runs 64-bit x86-64 guests');
  if (file[5] !== 1) throw invalid('a big-endian ELF; hl runs x86-64 guests');
  const machine = file.readUInt16LE(18);
  if (machine !== 62) throw invalid(`an ELF for ${MACHINES[machine] ?? `machine ${machine}`}; hl runs x86-64 guests`);
  const type = file.readUInt16LE(16);
  if (type !== 2) throw invalid(type === 3 ? 'a position-independent ELF; guests are static executables built with the SDK' : `ELF type ${type} is not an executable`);
  const entry = Number(file.readBigUInt64LE(24));
  const phoff = file.readBigUInt64LE(32);
  const phentsize = file.readUInt16LE(54);
  const phnum = file.readUInt16LE(56);
  if (phentsize !== 56 || phnum === 0 || phnum > 64) throw invalid('bad program header table');
  if (phoff > BigInt(file.length) || Number(phoff) + phnum * 56 > file.length) throw invalid('truncated: the program headers run past the end of the file');

  const segments: Segment[] = [];
  let note: { abiVersion: number; dispatch: number } | undefined;
  const limit = abi.HL_IMAGE_BASE + MAX_IMAGE_SIZE;
  for (let i = 0; i < phnum; i++) {
    const o = Number(phoff) + i * 56;
    const ptype = file.readUInt32LE(o);
    const flags = file.readUInt32LE(o + 4);
    const offset = file.readBigUInt64LE(o + 8);
    const vaddr = file.readBigUInt64LE(o + 16);
    const filesz = file.readBigUInt64LE(o + 32);
    const memsz = file.readBigUInt64LE(o + 40);
    if (ptype !== PT_LOAD && ptype !== PT_NOTE) continue;
    if (offset + filesz > BigInt(file.length)) throw invalid(`truncated: segment ${i} runs past the end of the file`);
    if (ptype === PT_NOTE) {
      note ??= findHlNote(file.subarray(Number(offset), Number(offset + filesz)));
      continue;
    }
    if (filesz > memsz) throw invalid(`segment ${i} is larger in the file than in memory`);
    if (memsz === 0n) continue; // linkers emit empty segments; nothing to map
    if (vaddr < BigInt(abi.HL_IMAGE_BASE) || vaddr + memsz > BigInt(limit)) {
      throw invalid(`segment ${i} at 0x${vaddr.toString(16)} lies outside the guest image area (link with the SDK's hl.ld)`);
    }
    if ((flags & PF_W) !== 0 && (flags & PF_X) !== 0 && !options.allowWriteExecute) {
      throw invalid(`segment ${i} is both writable and executable; hl refuses W+X code unless the embedder sets allowWriteExecute (link with the SDK's hl.ld)`);
    }
    segments.push({
      vaddr: Number(vaddr),
      memsz: Number(memsz),
      data: file.subarray(Number(offset), Number(offset + filesz)),
      write: (flags & PF_W) !== 0,
      exec: (flags & PF_X) !== 0,
    });
  }
  if (!note) throw invalid('no hl note: the file was not built with the hl guest SDK');
  if (note.abiVersion !== abi.HL_ABI_VERSION) {
    throw invalid(`built for hl ABI version ${note.abiVersion}; this hl runs ABI version ${abi.HL_ABI_VERSION} (rebuild the guest with this SDK)`);
  }
  if (segments.length === 0) throw invalid('no loadable segments');
  segments.sort((a, b) => a.vaddr - b.vaddr);
  const page = abi.HL_PAGE_SIZE;
  for (let i = 1; i < segments.length; i++) {
    const prevEnd = Math.ceil((segments[i - 1].vaddr + segments[i - 1].memsz) / page) * page;
    if (Math.floor(segments[i].vaddr / page) * page < prevEnd) throw invalid('segments share a page (link with the SDK\'s hl.ld)');
  }
  const inExec = (a: number) => segments.some((s) => s.exec && a >= s.vaddr && a < s.vaddr + s.memsz);
  if (!inExec(entry)) throw invalid('the entry point is not in an executable segment');
  if (!inExec(note.dispatch)) throw invalid('the dispatch entry is not in an executable segment');
  const last = segments[segments.length - 1];
  return {
    entry,
    dispatch: note.dispatch,
    abiVersion: note.abiVersion,
    segments,
    end: Math.ceil((last.vaddr + last.memsz) / page) * page,
  };
}

/** Walks ELF notes; returns the HL note's contents if there is one. */
function findHlNote(notes: Buffer): { abiVersion: number; dispatch: number } | undefined {
  let o = 0;
  while (o + 12 <= notes.length) {
    const namesz = notes.readUInt32LE(o);
    const descsz = notes.readUInt32LE(o + 4);
    const type = notes.readUInt32LE(o + 8);
    const nameStart = o + 12;
    // Plain arithmetic, not 32-bit bit operations: sizes near 2^32 must not wrap.
    const descStart = nameStart + Math.ceil(namesz / 4) * 4;
    const next = descStart + Math.ceil(descsz / 4) * 4;
    if (next > notes.length || descStart + descsz > notes.length) return undefined;
    const name = notes.subarray(nameStart, nameStart + namesz).toString('latin1').replace(/\0+$/, '');
    if (name === abi.HL_NOTE_NAME && type === abi.HL_NOTE_TYPE_GUEST && descsz >= abi.HlGuestNoteSize) {
      const d = notes.subarray(descStart, descStart + descsz);
      if (d.readBigUInt64LE(abi.HlGuestNoteOffsets.magic) !== abi.HL_GUEST_MAGIC) return undefined;
      const dispatch = d.readBigUInt64LE(abi.HlGuestNoteOffsets.dispatch);
      if (dispatch > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
      return { abiVersion: d.readUInt32LE(abi.HlGuestNoteOffsets.abi_version), dispatch: Number(dispatch) };
    }
    o = next;
  }
  return undefined;
}
