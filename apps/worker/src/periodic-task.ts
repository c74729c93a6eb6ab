/**
 * Runs a task every `intervalMs` (0: never), one run at a time: a round that comes while the
 * previous run is still going is skipped. `stop` waits for the run in flight, so a worker shuts
 * down after its current round, never in the middle of it.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly task: () => Promise<void>) {}

  start(intervalMs: number): void {
    if (intervalMs === 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.running ??= this.task().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
