import type pg from 'pg';

import type { EventStore } from '#event-store';

import type { ProjectionLagSource } from './metrics.js';

/** One dependency's answer: reachable or not, and how long it took. Never an error text. */
export interface DependencyCheck {
  ok: boolean;
  ms: number;
}

/** The `/ready` body: no personal data, no error messages (the endpoint is unauthenticated). */
export interface Readiness {
  status: 'ready' | 'not_ready' | 'shutting_down';
  checks: {
    database: DependencyCheck;
    eventStore: DependencyCheck;
    projections: DependencyCheck & {
      maxLag: number;
      /** Events behind per projection (`null`: could not be read). */
      behind: Record<string, number> | null;
    };
  };
}

export interface ReadinessDependencies {
  pool: pg.Pool;
  store: EventStore;
  projections: ProjectionLagSource;
  /** Not ready when any projection is more than this many events behind. */
  maxLag: number;
  /** Each check gives up after this long (default 2000 ms). */
  timeoutMs?: number;
  /** Answers within this long of the last check reuse it (default 1000 ms): probes stay cheap. */
  cacheMs?: number;
}

const timed = async <T>(
  work: () => Promise<T>,
  timeoutMs: number,
): Promise<{ ok: boolean; ms: number; value?: T }> => {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        timer.unref();
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started), value };
  } catch {
    return { ok: false, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Readiness for load balancers and orchestrators: the database answers, the event store answers
 * a cheap read, every projection is within `maxLag` events of the log, and the process is not
 * shutting down. Liveness (the process is up) needs none of this.
 */
export class ReadinessProbe {
  #shuttingDown = false;
  #last?: { at: number; answer: Promise<Readiness> };

  constructor(private readonly deps: ReadinessDependencies) {}

  /** From now on `/ready` answers `shutting_down`: the balancer stops sending new requests. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  async check(): Promise<Readiness> {
    const cacheMs = this.deps.cacheMs ?? 1000;
    const last = this.#last;
    const answer = last && Date.now() - last.at < cacheMs ? last.answer : this.#fresh();
    if (answer !== last?.answer) this.#last = { at: Date.now(), answer };
    const readiness = await answer;
    return this.#shuttingDown ? { ...readiness, status: 'shutting_down' } : readiness;
  }

  async #fresh(): Promise<Readiness> {
    const { pool, store, projections, maxLag } = this.deps;
    const timeoutMs = this.deps.timeoutMs ?? 2000;
    const [database, eventStore, lag] = await Promise.all([
      timed(() => pool.query('SELECT 1'), timeoutMs),
      timed(() => store.headPosition(), timeoutMs),
      timed(() => projections.lag(), timeoutMs),
    ]);
    const behind = lag.value
      ? Object.fromEntries(lag.value.map((l) => [l.name, l.eventsBehind]))
      : null;
    const lagOk = behind !== null && Object.values(behind).every((n) => n <= maxLag);
    const ok = database.ok && eventStore.ok && lagOk;
    return {
      status: ok ? 'ready' : 'not_ready',
      checks: {
        database: { ok: database.ok, ms: database.ms },
        eventStore: { ok: eventStore.ok, ms: eventStore.ms },
        projections: { ok: lagOk, ms: lag.ms, maxLag, behind },
      },
    };
  }
}
