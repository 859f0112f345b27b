// interrupt.ts: a kill handle that works from any thread of the process.
import { loadAddon } from '../native';

/**
 * Cancels whatever guest call its sandbox is running, from any thread: pass
 * `handle.id` to a worker and rebuild it there with `InterruptHandle.fromId`.
 * A kill between calls does nothing (the next call runs normally); a kill
 * during a host-function call stops the guest when control would return to it.
 */
export class InterruptHandle {
  private constructor(readonly id: number) {}

  static fromId(id: number): InterruptHandle {
    if (!Number.isSafeInteger(id) || id <= 0) throw new TypeError('an interrupt handle id is a positive integer');
    return new InterruptHandle(id);
  }

  /** Returns false once the sandbox is gone. */
  kill(): boolean {
    return loadAddon().interrupt(this.id);
  }
}
