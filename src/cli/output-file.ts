// output-file.ts: writes a whole text to a path the user named (--metrics-dump=FILE)
// without clobbering what is there. Only a regular file (or nothing) is replaced,
// and atomically: a temporary file beside it, then rename, so a reader
// (node_exporter's textfile collector) never sees half a file. A symlink stays a
// symlink: its final target is replaced. Anything else that accepts writes (a
// character device, a FIFO, a terminal, /proc/self/fd/N, /dev/stderr) is written
// straight through: opened without O_CREAT or O_TRUNC, never renamed over.
import { closeSync, constants as C, fchmodSync, fstatSync, lstatSync, openSync, readlinkSync, renameSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';

import { FLUSH_BUDGET_MS } from './flush-deadline';

/** A write that failed; the message names the path the user gave, never a temporary file. */
export class OutputError extends Error {
  override readonly name = 'OutputError';
  constructor(
    readonly target: string,
    readonly reason: string,
    readonly code: string | undefined,
  ) {
    super(`cannot write ${target}: ${reason}`);
  }
}

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EISDIR: 'it is a folder',
  ENXIO: `no reader (nobody opened it for reading within ${FLUSH_BUDGET_MS / 1000} s)`,
  EAGAIN: `the reader did not take it all within ${FLUSH_BUDGET_MS / 1000} s`,
  ELOOP: 'too many levels of symbolic links',
  EBADF: 'that file descriptor is not open for writing',
  ENAMETOOLONG: 'the name is too long',
};

/** An error with a reason of its own (not the errno's usual one). */
function problem(code: string, reason?: string): Error {
  return Object.assign(new Error(reason ?? code), { code, reason });
}

function fail(target: string, err: unknown): never {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  const code = e?.code;
  throw new OutputError(target, e?.reason ?? (code && REASONS[code]) ?? code ?? e?.message ?? String(err), code);
}

/**
 * Writes `text` to `target` as described above; throws OutputError. A FIFO or
 * device may wait for a reader or for room until `until` (a Date.now() value;
 * by default the run's flush budget from now).
 */
export async function writeOutput(target: string, text: string, until = Date.now() + FLUSH_BUDGET_MS): Promise<void> {
  const data = Buffer.from(text);
  try {
    const fd = ownDescriptor(target);
    if (fd !== undefined) return await writeAll(fd, data, until);
    const resolved = resolveLinks(target);
    if (resolved.viaProc) return await writeThrough(target, undefined, data, until);
    const st = statOrUndefined(resolved.path);
    if (st && !st.isFile()) return await writeThrough(resolved.path, st, data, until);
    replaceAtomically(resolved.path, st, data);
  } catch (err) {
    fail(target, err);
  }
}

/** /proc/self/fd/N, /dev/fd/N, /dev/stdout, /dev/stderr: this process's own descriptor N. */
function ownDescriptor(target: string): number | undefined {
  const abs = path.resolve(target);
  const std = { '/dev/stdin': 0, '/dev/stdout': 1, '/dev/stderr': 2 }[abs];
  if (std !== undefined) return std;
  const m = new RegExp(`^/(?:proc/(?:self|thread-self|${process.pid})|dev)/fd/(\\d{1,9})$`).exec(abs);
  return m ? Number(m[1]) : undefined;
}

/**
 * Follows symlinks hop by hop to the path that is finally written (which may not
 * exist yet: a dangling link is filled, not replaced). A hop into /proc (another
 * process's descriptor, a magic link) is not a file name to rename beside.
 */
function resolveLinks(target: string): { path: string; viaProc: boolean } {
  let p = path.resolve(target);
  for (let hops = 0; hops < 40; hops++) {
    if (p.startsWith('/proc/')) return { path: p, viaProc: true };
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: p, viaProc: false };
      throw err;
    }
    if (!st.isSymbolicLink()) return { path: p, viaProc: false };
    p = path.resolve(path.dirname(p), readlinkSync(p));
  }
  throw problem('ELOOP');
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Temporary file beside the target, created exclusively (O_EXCL: a planted file
 * or symlink of that name is never followed) under a random name, then renamed
 * over the target. It keeps the replaced file's permission bits. Removed on failure.
 */
function replaceAtomically(file: string, old: Stats | undefined, data: Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, old ? old.mode & 0o7777 : 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw problem('ENOENT', 'no such folder');
    throw err;
  }
  try {
    try {
      if (old) fchmodSync(fd, old.mode & 0o7777); // the umask must not narrow the old file's mode
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    throw err;
  }
}

/**
 * A device, FIFO or descriptor path (`seen`: what lstat found; undefined for a
 * /proc path): opened for writing only (no O_CREAT, no O_TRUNC; O_NOFOLLOW
 * unless through /proc, so a swapped-in symlink is not followed), non-blocking
 * so that a FIFO without a reader or a stalled reader cannot hang hl: opening
 * is retried until a reader comes (ENXIO) and writing until there is room
 * (EAGAIN), until `until` in all. Sockets and block devices are refused:
 * writing metrics over a disk is never meant.
 */
async function writeThrough(p: string, seen: Stats | undefined, data: Buffer, until: number): Promise<void> {
  const refuse = (s: Stats) => {
    if (s.isDirectory()) throw problem('EISDIR');
    if (s.isBlockDevice()) throw problem('EBLOCK', 'it is a block device (a disk): refusing to write metrics over it');
    if (s.isSocket()) throw problem('ESOCKET', 'it is a socket');
  };
  if (seen) refuse(seen);
  const flags = C.O_WRONLY | C.O_NONBLOCK | C.O_NOCTTY | C.O_APPEND | (seen ? C.O_NOFOLLOW : 0);
  let fd: number | undefined;
  while (fd === undefined) {
    try {
      fd = openSync(p, flags);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() >= until) throw err;
      await pause(10);
    }
  }
  try {
    const now = fstatSync(fd); // what was opened, not what was looked at
    refuse(now);
    if (seen && (now.ino !== seen.ino || now.dev !== seen.dev)) throw problem('ECHANGED', 'it was replaced while hl was writing it');
    await writeAll(fd, data, until);
  } finally {
    closeSync(fd);
  }
}

/** Writes every byte, waiting for room (EAGAIN) until `until` without blocking the event loop. */
async function writeAll(fd: number, data: Buffer, until: number): Promise<void> {
  for (let off = 0; off < data.length; ) {
    try {
      off += writeSync(fd, data, off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || Date.now() >= until) throw err;
      await pause(5);
    }
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
