// host-context.ts: which host functions the running code is inside, across
// awaits. A host function runs while its guest waits; if it (or code it
// started) calls back into that sandbox before it returns, the nested call
// would queue behind the call that waits for it: a deadlock. The sandbox asks
// here, in call(), snapshot() and restore(), and refuses with REENTRANT.
//
// AsyncLocalStorage carries the frame across awaits, timers and promise
// callbacks. On Node 20 an enabled AsyncLocalStorage installs a promise hook
// for the whole process (every promise pays, measured roughly 2x on an
// `await`), so ours is enabled only while some host function runs: disabled
// again when the last one settles. Only host calls pay then (about 0.5-3 us
// each on a shared 2-core machine, against some 20 us for the VM exit itself).
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<HostFrame>();
/** Frames active in the process; the storage is disabled when it drops to 0. */
let activeFrames = 0;

/**
 * One run of one host function for one sandbox. Active from enter() until
 * end() (the host function settled, or its call ended): code that runs in
 * its async context after that, such as a timer it left behind, is no longer
 * inside it and may use the sandbox like any other code.
 */
export class HostFrame {
  private active = true;
  /** The nearest frame that was active when this one began (a host function of another sandbox calling this one). */
  private readonly outer: HostFrame | undefined;

  private constructor(
    readonly owner: object,
    readonly fn: string,
  ) {
    this.outer = HostFrame.nearestActive(storage.getStore());
    activeFrames++;
  }

  /** A new active frame for host function `fn` of `owner` (a sandbox). */
  static enter(owner: object, fn: string): HostFrame {
    return new HostFrame(owner, fn);
  }

  /** Runs `body` (the host function's synchronous part) inside this frame; its async continuations stay inside it. */
  run<T>(body: () => T): T {
    return storage.run(this, body);
  }

  /** The host function is over. Idempotent. */
  end(): void {
    if (!this.active) return;
    this.active = false;
    if (--activeFrames === 0) storage.disable(); // no promise hook while no host function runs
  }

  /** The name of the active host function of `owner` that the running code is inside, if any. */
  static insideOf(owner: object): string | undefined {
    for (let f = HostFrame.nearestActive(storage.getStore()); f; f = HostFrame.nearestActive(f.outer)) {
      if (f.owner === owner) return f.fn;
    }
    return undefined;
  }

  /** `f` or the nearest of its outer frames that is still active (so ended frames are not kept alive in chains). */
  private static nearestActive(f: HostFrame | undefined): HostFrame | undefined {
    while (f && !f.active) f = f.outer;
    return f;
  }
}
