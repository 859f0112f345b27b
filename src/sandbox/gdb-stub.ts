// gdb-stub.ts: a GDB remote serial protocol stub for one guest call
// (`hl run --gdb PORT`, or `gdb` in CallOptions). The call waits for gdb;
// gdb then reads and writes registers and memory, sets software breakpoints,
// continues, single-steps, interrupts (Ctrl-C) and detaches. Mechanism: a
// breakpoint is an int3 the host writes into guest memory, which in ring 3
// meets hl's DPL-0 IDT gate and arrives as #GP (see stopped()); a step is
// RFLAGS.TF, which arrives as #DB (vector 1). Both reach the host through the
// exception stubs like any fault (docs/abi.md). gdb's Ctrl-C asks the VM to
// pause: a kick out of KVM_RUN, the "paused" exit. The guest resumes with
// registers the debugger chose, always in ring 3 (KvmVm::set_guest_registers).
// The stub listens on loopback unless told otherwise: it gives full control
// of the guest, and of nothing else.
import * as net from 'node:net';
import type { GuestRegisters } from '../native';
import { ErrorCode, HlError } from '../errors';

/** What the stub needs of the sandbox and its VM. */
export interface DebugTarget {
  registers(): GuestRegisters;
  setRegisters(regs: GuestRegisters, fresh: boolean): void;
  read(addr: number, len: number): Buffer;
  write(addr: number, data: Uint8Array): void;
  /** True when [addr, addr+len) is guest memory the stub may read or write. */
  inMemory(addr: number, len: number): boolean;
  /** Stops the running guest soon (gdb's Ctrl-C); the call then reports interrupted(). */
  interrupt(): void;
}

const GPRS: (keyof GuestRegisters)[] = ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
const SEGS: (keyof GuestRegisters)[] = ['cs', 'ss', 'ds', 'es', 'fs', 'gs'];
const TF = 0x100n;
const MAX_PACKET = 0x4000;
const MAX_MEM = 0x1000; // bytes per m/M packet (gdb splits larger reads)
const MAX_QUEUED = 256; // packets waiting while the guest runs
const MAX_UNREAD = 1 << 20; // reply bytes the peer has not read

const hexLE = (v: bigint, bytes: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, v));
  return b.subarray(0, bytes).toString('hex');
};
const fromHexLE = (hex: string) => {
  const b = Buffer.alloc(8);
  Buffer.from(hex, 'hex').copy(b);
  return b.readBigUInt64LE();
};

/** One debugging session over one call: listen, wait for gdb, serve it at each stop. */
export class GdbStub {
  private server: net.Server | undefined;
  private connected: Promise<net.Socket> | undefined;
  private socket: net.Socket | undefined;
  private buffer = '';
  private waiters: ((p: string | null) => void)[] = [];
  private queued: (string | null)[] = [];
  private noAck = false;
  private readonly breakpoints = new Map<number, number>(); // addr -> original byte
  private stepping = false;
  /** Stepping over a breakpoint at this address before continuing. */
  private overBreakpoint: number | undefined;
  private continueAfterStepOver = false;
  /** Between a resume and the next stop: a Ctrl-C then interrupts the guest. */
  private running = false;
  private interruptSent = false;
  /** A resume packet is queued, not yet served: a Ctrl-C after it is for the run it starts. */
  private resumeQueued = false;
  detached = false;

  private constructor(private readonly target: DebugTarget) {}

  /** Listens on `host:port` (port 0: any free one); the address is `address()`. */
  static async listen(target: DebugTarget, host: string, port: number): Promise<GdbStub> {
    const stub = new GdbStub(target);
    const server = net.createServer();
    stub.server = server;
    // Taken at once: a debugger may connect before start() is called. One
    // debugger per call: later connections are closed.
    stub.connected = new Promise<net.Socket>((resolve) => {
      let first = true;
      server.on('connection', (sock) => {
        sock.on('error', () => stub.push(null));
        if (!first) return sock.destroy();
        first = false;
        resolve(sock);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return stub;
  }

  address(): { host: string; port: number } {
    const a = this.server!.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  /** Waits for gdb, then serves it until it continues or steps. `initial`: the call's entry registers. */
  async start(initial: GuestRegisters): Promise<void> {
    this.socket = await this.connected!;
    this.server!.close(); // one debugger per call
    this.socket.setNoDelay(true);
    this.socket.on('data', (d) => this.onData(d.toString('latin1')));
    this.socket.on('close', () => this.push(null));
    await this.serve(initial, true, 'S05');
  }

  /**
   * A fault exit during the call. Returns true when it was the debugger's
   * (a breakpoint or a step) and the guest has been given registers to
   * resume with; false when it is a real fault, after gdb has seen it.
   */
  async stopped(vector: number, _errorCode: number, signal: number): Promise<boolean> {
    if (this.detached) return false;
    const regs = this.target.registers();
    const rip = Number(regs.rip);
    if (vector === 1 && !this.stepping && this.overBreakpoint === undefined) {
      // TF the guest itself had: a step over `pushf` left it in the flags on
      // its stack, and a later `popf` put it back. Not the guest's fault.
      regs.rflags &= ~TF;
      if (this.interruptSent) return this.stopFor(regs, 'S02'); // stopped anyway: gdb's Ctrl-C is answered
      this.target.setRegisters(regs, false);
      return true;
    }
    if (vector === 1) {
      regs.rflags &= ~TF;
      if (this.overBreakpoint !== undefined) {
        this.overBreakpoint = undefined;
        // Setting registers drops a pending interrupt: with one pending, stop here instead.
        if (this.continueAfterStepOver && !this.interruptSent) {
          this.insertAll();
          this.target.setRegisters(regs, false);
          return true;
        }
      }
      return this.stopFor(regs, this.interruptSent && !this.stepping ? 'S02' : 'S05');
    }
    // An int3 in ring 3 meets hl's DPL-0 gate: #GP, error code 0x1a (IDT
    // entry 3), with RIP at the int3 (Intel's rule for a failed gate check)
    // or just past it (seen under QEMU's nested SVM); a CPU that skipped the
    // gate check would give #BP past it. Any of these at one of our int3s is
    // the breakpoint, and the guest stopped at its address.
    const at = this.breakpoints.has(rip) ? rip : this.breakpoints.has(rip - 1) ? rip - 1 : undefined;
    if ((vector === 13 || vector === 3) && at !== undefined) {
      regs.rip = BigInt(at);
      return this.stopFor(regs, 'T05swbreak:;');
    }
    // A real fault: gdb sees it (SIGSEGV, SIGILL...), then the call fails with it.
    this.removeAll();
    this.running = false;
    await this.serve(regs, false, `S${signal.toString(16).padStart(2, '0')}`, true);
    return false;
  }

  /** The guest stopped for gdb's Ctrl-C (the VM's "paused" exit); true: it may resume. */
  async interrupted(): Promise<boolean> {
    if (this.detached) return true; // gdb went away meanwhile: the guest just goes on
    return this.stopFor(this.target.registers(), 'S02'); // SIGINT, as for a native process
  }

  private async stopFor(regs: GuestRegisters, stopReply: string): Promise<true> {
    this.removeAll();
    this.running = false;
    this.interruptSent = false;
    await this.serve(regs, false, stopReply);
    return true;
  }

  /** The call ended: tell gdb and close. */
  finish(exitCode: number | undefined, signal?: number): void {
    this.removeAll(); // whatever happened, no int3 stays in the guest
    if (this.socket && !this.detached) {
      this.send(signal !== undefined ? `X${signal.toString(16).padStart(2, '0')}` : `W${(exitCode ?? 0).toString(16).padStart(2, '0')}`);
    }
    this.close();
  }

  close(): void {
    this.server?.close();
    this.socket?.end();
    this.socket?.destroy();
    this.push(null);
  }

  // ---- serving one stop ----

  /** Reports the stop, then answers packets until gdb resumes (or detaches, or goes away). */
  private async serve(regs: GuestRegisters, fresh: boolean, stopReply: string, fatal = false): Promise<void> {
    let replyPending = !fresh; // at the first stop gdb asks with `?`
    if (replyPending) this.send(stopReply);
    for (;;) {
      const packet = await this.next();
      if (packet === null || packet === 'D' || packet.startsWith('D;')) {
        if (packet !== null) this.send('OK');
        this.detached = true;
        this.removeAll();
        regs.rflags &= ~TF;
        if (!fatal) this.target.setRegisters(regs, fresh);
        return;
      }
      if (packet === '\x03') continue; // stopped: the stop reply sent answers it (as gdbserver)
      const resume = this.resumeKind(packet);
      if (resume) {
        if (fatal) return; // the call fails with its fault; finish() tells gdb
        this.resume(regs, resume, fresh);
        return;
      }
      if (packet === 'k' || packet.startsWith('vKill')) {
        this.detached = true;
        this.socket?.destroy();
        throw new HlError(ErrorCode.Cancelled, 'killed by gdb');
      }
      this.send(this.answer(packet, regs, stopReply));
      replyPending = false;
    }
  }

  /** c, s, C sig, S sig (gdb passing a signal on: there is no signal to pass, so
   * as c and s), and vCont's forms of them. */
  private resumeKind(p: string): 'c' | 's' | undefined {
    if (/^[cC]/.test(p)) return 'c';
    if (/^[sS]/.test(p)) return 's';
    if (/^vCont;[sS]/.test(p)) return 's';
    if (/^vCont;[cC]/.test(p)) return 'c';
    return undefined;
  }

  private resume(regs: GuestRegisters, how: 'c' | 's', fresh: boolean): void {
    const rip = Number(regs.rip);
    this.stepping = how === 's';
    this.continueAfterStepOver = how === 'c';
    if (how === 'c' && this.breakpoints.has(rip)) {
      // Step over the breakpoint under RIP with it removed, then put it back and go on.
      this.overBreakpoint = rip;
      this.insertAll(rip);
      regs.rflags |= TF;
    } else {
      this.insertAll(how === 's' ? rip : undefined);
      if (how === 's') regs.rflags |= TF;
      else regs.rflags &= ~TF;
    }
    this.target.setRegisters(regs, fresh);
    this.running = true;
    // A Ctrl-C that came in the same read as the resume packet is queued behind it.
    this.resumeQueued = false;
    if (this.queued.includes('\x03')) {
      this.queued = this.queued.filter((p) => p !== '\x03');
      this.requestInterrupt();
    }
  }

  private requestInterrupt(): void {
    if (this.interruptSent) return; // once: the stop that follows answers it
    this.interruptSent = true;
    this.target.interrupt();
  }

  private answer(p: string, regs: GuestRegisters, stopReply: string): string {
    const t = this.target;
    if (p === '?') return stopReply;
    if (p.startsWith('qSupported')) return `PacketSize=${MAX_PACKET.toString(16)};swbreak+;QStartNoAckMode+`;
    if (p === 'vCont?') return 'vCont;c;C;s;S';
    if (p === 'QStartNoAckMode') {
      this.send('OK');
      this.noAck = true;
      return '\0'; // already answered
    }
    if (p === 'qAttached') return '1';
    if (p === 'qC') return 'QC1';
    if (p === 'qfThreadInfo') return 'm1';
    if (p === 'qsThreadInfo') return 'l';
    if (p.startsWith('H') || p.startsWith('T')) return 'OK';
    if (p === 'g') return GPRS.map((r) => hexLE(regs[r], 8)).join('') + hexLE(regs.rflags, 4) + SEGS.map((r) => hexLE(regs[r], 4)).join('');
    if (p.startsWith('G')) {
      const hex = p.slice(1);
      GPRS.forEach((r, i) => {
        if (hex.length >= (i + 1) * 16) regs[r] = fromHexLE(hex.slice(i * 16, (i + 1) * 16));
      });
      if (hex.length >= 17 * 16 + 8) regs.rflags = fromHexLE(hex.slice(17 * 16, 17 * 16 + 8));
      return 'OK';
    }
    if (/^p[0-9a-f]+$/.test(p)) {
      const n = parseInt(p.slice(1), 16);
      if (n < 17) return hexLE(regs[GPRS[n]], 8);
      if (n === 17) return hexLE(regs.rflags, 4);
      if (n < 24) return hexLE(regs[SEGS[n - 18]], 4);
      return ''; // not carried (x87, SSE): gdb falls back to g
    }
    const pw = /^P([0-9a-f]+)=([0-9a-f]+)$/.exec(p);
    if (pw) {
      const n = parseInt(pw[1], 16);
      if (n < 17) regs[GPRS[n]] = fromHexLE(pw[2]);
      else if (n === 17) regs.rflags = fromHexLE(pw[2]);
      else return 'E01';
      return 'OK';
    }
    const m = /^m([0-9a-f]+),([0-9a-f]+)$/.exec(p);
    if (m) {
      const addr = parseInt(m[1], 16);
      const len = Math.min(parseInt(m[2], 16), MAX_MEM);
      if (!Number.isSafeInteger(addr) || !t.inMemory(addr, len)) return 'E14'; // EFAULT
      return t.read(addr, len).toString('hex');
    }
    const mw = /^M([0-9a-f]+),([0-9a-f]+):([0-9a-f]*)$/.exec(p);
    if (mw) {
      const addr = parseInt(mw[1], 16);
      const data = Buffer.from(mw[3], 'hex');
      if (data.length !== parseInt(mw[2], 16) || data.length > MAX_MEM || !Number.isSafeInteger(addr) || !t.inMemory(addr, data.length)) return 'E14';
      t.write(addr, data);
      return 'OK';
    }
    const z = /^([Zz])0,([0-9a-f]+),([0-9a-f]+)$/.exec(p);
    if (z) {
      const addr = parseInt(z[2], 16);
      if (!Number.isSafeInteger(addr) || !t.inMemory(addr, 1)) return 'E14';
      if (z[1] === 'Z') {
        if (!this.breakpoints.has(addr)) this.breakpoints.set(addr, t.read(addr, 1)[0]);
      } else {
        this.breakpoints.delete(addr); // not inserted while stopped
      }
      return 'OK';
    }
    return ''; // not supported: gdb falls back or says so
  }

  /** Writes int3 at every breakpoint but `skip`. */
  private insertAll(skip?: number): void {
    for (const addr of this.breakpoints.keys()) if (addr !== skip) this.target.write(addr, Uint8Array.of(0xcc));
  }

  /** Puts the original bytes back (while stopped, memory reads show the real code). */
  private removeAll(): void {
    for (const [addr, byte] of this.breakpoints) this.target.write(addr, Uint8Array.of(byte));
  }

  // ---- packets ----

  private send(data: string): void {
    if (data === '\0' || !this.socket || this.socket.destroyed) return;
    if (this.socket.writableLength > MAX_UNREAD) {
      this.socket.destroy(); // a peer that asks and never reads
      return;
    }
    let sum = 0;
    for (let i = 0; i < data.length; i++) sum = (sum + data.charCodeAt(i)) & 0xff;
    this.socket.write(`$${data}#${sum.toString(16).padStart(2, '0')}`, 'latin1');
  }

  private onData(text: string): void {
    this.buffer += text;
    if (this.buffer.length > 2 * MAX_PACKET) {
      this.socket?.destroy(); // a peer that sends no packet end
      return;
    }
    for (;;) {
      const b = this.buffer;
      if (b.length === 0) return;
      if (b[0] === '+' || b[0] === '-') {
        this.buffer = b.slice(1);
        continue;
      }
      if (b[0] === '\x03') {
        this.buffer = b.slice(1);
        if (this.running && !this.detached) this.requestInterrupt();
        else if (this.resumeQueued) this.push('\x03'); // resume() takes it
        // else stopped: the stop reply gdb has, or is about to get, answers it;
        // a second one would be read as the reply to gdb's next packet
        continue;
      }
      if (b[0] !== '$') {
        const at = b.search(/[$+\-\x03]/); // noise between packets: skipped in one step
        this.buffer = at < 0 ? '' : b.slice(at);
        continue;
      }
      const end = b.indexOf('#');
      if (end < 0 || b.length < end + 3) return;
      const body = b.slice(1, end);
      this.buffer = b.slice(end + 3);
      if (!this.noAck) this.socket?.write('+');
      if (this.resumeKind(body)) this.resumeQueued = true;
      this.push(body.replace(/\}(.)/g, (_, c: string) => String.fromCharCode(c.charCodeAt(0) ^ 0x20)));
    }
  }

  private push(p: string | null): void {
    const w = this.waiters.shift();
    if (w) w(p);
    else if (p !== null && this.queued.length >= MAX_QUEUED) this.socket?.destroy(); // packets sent while the guest runs, without end
    else this.queued.push(p);
  }

  private next(): Promise<string | null> {
    if (this.queued.length) return Promise.resolve(this.queued.shift()!);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
