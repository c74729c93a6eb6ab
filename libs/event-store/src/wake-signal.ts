/**
 * Wakes subscribers when new events may be readable. Signals coalesce: a waiter that arrives after
 * a signal it has not consumed yet returns at once, so no wake-up is ever lost between a read and
 * the next wait.
 */
export class WakeSignal {
  private generation = 0;
  private waiters = new Set<() => void>();

  notify(): void {
    this.generation++;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get current(): number {
    return this.generation;
  }

  /** Resolves when notified after `seen`, when `timeoutMs` passes, or when `signal` aborts. */
  wait(seen: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.generation !== seen || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
