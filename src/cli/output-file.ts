// output-file.ts: writes a whole text to a path the user named (--metrics-dump=FILE)
// without clobbering what is there. The kernel follows the path, never hl: the
// path is opened for writing (no O_CREAT, no O_TRUNC), so fs.protected_symlinks,
// permissions and `..` after a symlink all apply as for any open(2), and what
// was opened is then looked at (fstat), not what a name pointed to a moment
// before. A regular file (or nothing) is replaced atomically: a temporary file
// beside it, then rename, so a reader (node_exporter's textfile collector) never
// sees half a file; a symlink stays a symlink. Only a FIFO, a terminal or
// /dev/null (char 1:3) is written straight through, non-blocking, under the
// flush deadline; every other device and sockets are refused.
import { closeSync, constants as C, fchmodSync, fstatSync, lstatSync, openSync, readlinkSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isatty } from 'node:tty';
import * as path from 'node:path';

import { FLUSH_BUDGET_MS, by } from './flush-deadline';

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
  ETXTBSY: 'it is a program being run',
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

/** Temporary files that exist right now: removed if the process exits (a second signal) before they are renamed. */
const temporaries = new Set<string>();
let cleanupInstalled = false;
function removeTemporaries(): void {
  for (const tmp of temporaries) {
    try {
      unlinkSync(tmp);
    } catch {}
  }
  temporaries.clear();
}

/**
 * Writes `text` to `target` as described above; throws OutputError. A FIFO or
 * terminal may wait for a reader or for room until `until` (a Date.now() value;
 * by default the run's flush budget from now).
 */
export async function writeOutput(target: string, text: string, until = Date.now() + FLUSH_BUDGET_MS): Promise<void> {
  const data = Buffer.from(text);
  try {
    const own = ownDescriptor(target);
    if (own !== undefined) return await writeOwnDescriptor(own, data, until);
    refuseForeignLink(path.resolve(target));
    refuse(statIfAny(target)); // before opening: opening some devices does something
    const fd = await openForWriting(target, until);
    if (fd === undefined) return createNew(path.resolve(target), data);
    let replace: { file: string; st: Stats } | undefined;
    try {
      const st = fstatSync(fd); // what was opened, not what a name pointed to
      if (st.isFile()) replace = { file: realPath(fd, st), st };
      else {
        refuse(st, fd);
        await writeAll(fd, data, until);
      }
    } finally {
      closeSync(fd);
    }
    if (replace) replaceAtomically(replace.file, replace.st, data);
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
 * hl's own descriptor N: a regular file is written at its position (as `>&N`
 * would). A pipe or terminal is reopened through /proc/self/fd/N with
 * O_NONBLOCK: a new open file description with its own non-blocking flag (the
 * shell's and the reader's are left as they are), so a reader that never reads
 * costs the flush deadline, not a blocked event loop. Another socket is refused.
 */
async function writeOwnDescriptor(n: number, data: Buffer, until: number): Promise<void> {
  const st = fstatSync(n);
  if (st.isFile()) {
    for (let off = 0; off < data.length; ) off += writeSync(n, data, off);
    return;
  }
  if (st.isSocket() && (n === 1 || n === 2)) {
    // A parent's socketpair (node's spawn): it cannot be reopened, so through
    // the process's own non-blocking stream, abandoned at the deadline.
    const stream = n === 1 ? process.stdout : process.stderr;
    const done = new Promise<void>((resolve, reject) => stream.write(data, (err) => (err ? reject(err) : resolve())));
    if ((await by(done, until)) === 'late') throw problem('EAGAIN');
    return;
  }
  refuse(st, n);
  const fd = await openForWriting(`/proc/self/fd/${n}`, until);
  if (fd === undefined) throw problem('EBADF');
  try {
    const now = fstatSync(fd);
    if (now.ino !== st.ino || now.dev !== st.dev) throw problem('ECHANGED', 'it changed while hl was opening it');
    await writeAll(fd, data, until);
  } finally {
    closeSync(fd);
  }
}

/**
 * The rule of fs.protected_symlinks, applied by hl to the last name even where
 * the machine has it off: a symlink in a sticky world-writable folder (/tmp) is
 * followed only if it is the caller's own or the folder owner's. Otherwise
 * root running `--metrics-dump=/tmp/m.prom` replaces what another user pointed
 * it at. Folders earlier in the path are left to the kernel's setting.
 */
function refuseForeignLink(abs: string): void {
  let link: Stats;
  try {
    link = lstatSync(abs);
  } catch {
    return; // nothing there, or not reachable: open() reports it
  }
  if (!link.isSymbolicLink()) return;
  const dir = statSync(path.dirname(abs));
  const stickyWorldWritable = (dir.mode & 0o1000) !== 0 && (dir.mode & C.S_IWOTH) !== 0;
  const euid = process.geteuid?.() ?? link.uid;
  if (stickyWorldWritable && link.uid !== euid && link.uid !== dir.uid) {
    throw problem('EACCES', 'it is a symbolic link another user made in a sticky shared folder (like /tmp): not followed, as fs.protected_symlinks=1 would refuse');
  }
}

function statIfAny(target: string): Stats | undefined {
  try {
    return statSync(target);
  } catch {
    return undefined; // open() says why
  }
}

const TTY_MAJORS = new Set([4, 5, 136, 137, 138, 139, 140, 141, 142, 143]); // virtual consoles, ttyS, /dev/tty, Unix98 ptys
// glibc's dev_t layout (gnu_dev_major/minor); BigInt, as rdev may exceed 32 bits.
const major = (rdev: number) => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const minor = (rdev: number) => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

/**
 * What hl never writes into: a folder, a socket, a block device, and any
 * character device but /dev/null (1:3) and a terminal. Without `fd` (before
 * opening), terminals are known by their major numbers; with it, by isatty.
 */
function refuse(st: Stats | undefined, fd?: number): void {
  if (!st || st.isFile() || st.isFIFO()) return;
  if (st.isDirectory()) throw problem('EISDIR');
  if (st.isSocket()) throw problem('ESOCKET', 'it is a socket: hl writes only to a file, a FIFO, a terminal or /dev/null');
  if (st.isBlockDevice()) throw problem('EBLOCK', 'it is a block device (a disk): refusing to write metrics over it');
  if (st.isCharacterDevice()) {
    const [maj, min] = [major(st.rdev), minor(st.rdev)];
    if (maj === 1 && min === 3) return;
    if (fd === undefined ? TTY_MAJORS.has(maj) : isatty(fd)) return;
    throw problem('EDEVICE', `it is a character device (${maj}:${min}): hl writes only to a file, a FIFO, a terminal or /dev/null`);
  }
  throw problem('EKIND', 'it is not a file, a FIFO, a terminal or /dev/null');
}

/**
 * Opens an existing path for writing: no O_CREAT (nothing is made by following
 * a link), no O_TRUNC, O_NOCTTY, O_NONBLOCK (a FIFO without a reader fails with
 * ENXIO instead of waiting: retried until `until`). undefined when nothing is there.
 */
async function openForWriting(p: string, until: number): Promise<number | undefined> {
  for (;;) {
    try {
      return openSync(p, C.O_WRONLY | C.O_NOCTTY | C.O_NONBLOCK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return undefined;
      if (code !== 'ENXIO' || Date.now() >= until) throw err;
      await pause(10);
    }
  }
}

/** The name the kernel opened, from /proc/self/fd: the folder to write the temporary file in. */
function realPath(fd: number, st: Stats): string {
  const file = readlinkSync(`/proc/self/fd/${fd}`);
  if (!path.isAbsolute(file) || !sameNode(file, st)) throw problem('ECHANGED', 'it was moved or removed while hl was writing it');
  return file;
}

function sameNode(file: string, st: Stats): boolean {
  try {
    const now = lstatSync(file);
    return now.isFile() && now.ino === st.ino && now.dev === st.dev;
  } catch {
    return false;
  }
}

/**
 * Nothing at the path: a new file. A dangling symlink is not filled (that is
 * creating through a link) and not replaced: refused.
 */
function createNew(abs: string, data: Buffer): void {
  let link: Stats | undefined;
  try {
    link = lstatSync(abs);
  } catch {}
  if (link?.isSymbolicLink()) throw problem('EDANGLING', 'it is a symbolic link to nothing: hl does not create files through a link');
  replaceAtomically(abs, undefined, data);
}

/**
 * Temporary file beside the target, created exclusively (O_EXCL|O_NOFOLLOW: a
 * planted file or symlink of that name is never followed) under a random name,
 * then renamed over the target, which must still be the file opened. It keeps
 * the replaced file's permission bits, never setuid, setgid or sticky. Removed
 * on failure, and on exit if hl is ended before the rename.
 */
function replaceAtomically(file: string, old: Stats | undefined, data: Buffer): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = old ? old.mode & 0o777 : 0o666;
  if (!cleanupInstalled) {
    process.on('exit', removeTemporaries);
    cleanupInstalled = true;
  }
  let fd: number;
  try {
    fd = openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw problem('ENOENT', 'no such folder');
    throw err;
  }
  temporaries.add(tmp);
  try {
    try {
      if (old) fchmodSync(fd, mode); // the umask must not narrow the old file's mode
      for (let off = 0; off < data.length; ) off += writeSync(fd, data, off);
    } finally {
      closeSync(fd);
    }
    if (old && !sameNode(file, old)) throw problem('ECHANGED', 'it was replaced while hl was writing it');
    renameSync(tmp, file);
    temporaries.delete(tmp);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {}
    temporaries.delete(tmp);
    throw err;
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
