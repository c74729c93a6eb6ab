import type pg from 'pg';

/** One operation served: who, what, its cost in points, whether it failed. */
export interface ApiUsageSample {
  tenantId: string;
  /** `api-key:<id>` or `account:<id>`: ids only, never personal data. */
  caller: string;
  /** A root field of `schema.graphql` (`campaigns`, `eraseRecipient`…): a bounded set. */
  operation: string;
  cost: number;
  failed: boolean;
  at: Date;
}

export interface ApiUsageDay {
  day: string;
  caller: string;
  operation: string;
  requests: number;
  cost: number;
  errors: number;
}

interface Pending {
  tenantId: string;
  caller: string;
  operation: string;
  day: string;
  requests: number;
  cost: number;
  errors: number;
}

/**
 * Counts API usage per tenant, caller, operation and UTC day in memory and adds it to
 * `api_usage_daily` in one upsert per flush (every `flushMs`, and on stop), so a request never
 * waits for a write. A process that dies loses at most one interval of counts.
 */
export class ApiUsageRecorder {
  #pending = new Map<string, Pending>();
  #timer?: NodeJS.Timeout;
  #flushing: Promise<void> = Promise.resolve();
  #lastPrune = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { flushMs: number; retentionDays: number },
  ) {}

  record(sample: ApiUsageSample): void {
    const day = sample.at.toISOString().slice(0, 10);
    const key = `${sample.tenantId}|${sample.caller}|${sample.operation}|${day}`;
    let row = this.#pending.get(key);
    if (!row) {
      row = { ...sample, day, requests: 0, cost: 0, errors: 0 };
      this.#pending.set(key, row);
    }
    row.requests += 1;
    row.cost += Math.max(0, Math.round(sample.cost));
    if (sample.failed) row.errors += 1;
  }

  start(): void {
    if (this.#timer || this.options.flushMs <= 0) return;
    this.#timer = setInterval(() => void this.flush().catch(() => undefined), this.options.flushMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Adds what was counted since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#write());
    return this.#flushing;
  }

  async #write(): Promise<void> {
    const rows = [...this.#pending.values()];
    this.#pending = new Map();
    if (rows.length > 0) {
      try {
        await this.pool.query(
          `INSERT INTO api_usage_daily (tenant_id, caller, operation, day, requests, cost, errors)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::bigint[], $6::bigint[], $7::bigint[])
           ON CONFLICT (tenant_id, day, caller, operation) DO UPDATE SET
             requests = api_usage_daily.requests + excluded.requests,
             cost = api_usage_daily.cost + excluded.cost,
             errors = api_usage_daily.errors + excluded.errors`,
          [
            rows.map((r) => r.tenantId),
            rows.map((r) => r.caller),
            rows.map((r) => r.operation),
            rows.map((r) => r.day),
            rows.map((r) => r.requests),
            rows.map((r) => r.cost),
            rows.map((r) => r.errors),
          ],
        );
      } catch (error) {
        // Counts are not lost on a failed write: they go back for the next flush.
        for (const row of rows) this.#requeue(row);
        throw error;
      }
    }
    const now = Date.now();
    if (now - this.#lastPrune > 3_600_000) {
      this.#lastPrune = now;
      await this.pool.query(
        `DELETE FROM api_usage_daily WHERE day < (now() AT TIME ZONE 'UTC')::date - $1::int`,
        [this.options.retentionDays],
      );
    }
  }

  #requeue(row: Pending): void {
    const key = `${row.tenantId}|${row.caller}|${row.operation}|${row.day}`;
    const pending = this.#pending.get(key);
    if (!pending) this.#pending.set(key, row);
    else {
      pending.requests += row.requests;
      pending.cost += row.cost;
      pending.errors += row.errors;
    }
  }

  /** A tenant's usage from `from` to `to` (UTC days, inclusive), optionally of one caller. */
  async usage(
    tenantId: string,
    range: { from: string; to: string; caller?: string },
  ): Promise<ApiUsageDay[]> {
    await this.flush();
    const { rows } = await this.pool.query<{
      day: string;
      caller: string;
      operation: string;
      requests: string;
      cost: string;
      errors: string;
    }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, caller, operation, requests, cost, errors
         FROM api_usage_daily
        WHERE tenant_id = $1 AND day BETWEEN $2::date AND $3::date
          AND ($4::text IS NULL OR caller = $4)
        ORDER BY day DESC, caller, operation
        LIMIT 10000`,
      [tenantId, range.from, range.to, range.caller ?? null],
    );
    return rows.map((r) => ({
      day: r.day,
      caller: r.caller,
      operation: r.operation,
      requests: Number(r.requests),
      cost: Number(r.cost),
      errors: Number(r.errors),
    }));
  }
}
