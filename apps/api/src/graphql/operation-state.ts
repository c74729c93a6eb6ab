import { ApiError } from './api-error.js';

/** What a tenant's rate limit said about one operation (see `TenantRateLimiter`). */
export interface RateLimitVerdict {
  allowed: boolean;
  /** Points per window. */
  limit: number;
  remaining: number;
  /** Seconds until the window resets and the budget is whole again. */
  resetSeconds: number;
}

/**
 * What the limits know about one GraphQL operation, shared by the Apollo plugin (cost, deadline,
 * response headers), the resolvers' deadline check and the rate-limit interceptor. Kept by the
 * operation's context object, which all of them see.
 */
export class OperationState {
  /** Cost points of the operation, set once it is resolved (`operationCost`). */
  cost = 0;
  /** The tenant's rate-limit verdict, taken once per operation by its first root field. */
  rateLimit?: Promise<RateLimitVerdict>;
  rateLimitVerdict?: RateLimitVerdict;
  /** The execution deadline, in ms from the start of execution; 0: none. */
  timeoutMs = 0;
  private timer?: NodeJS.Timeout;
  private deadline?: Promise<never>;
  /** Set once the deadline has passed. */
  private timeoutError?: ApiError;

  /** Starts the execution deadline: past it, every pending and later field fails with TIMEOUT. */
  startDeadline(): void {
    const timeoutMs = this.timeoutMs;
    if (this.deadline || timeoutMs <= 0) return;
    this.deadline = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => {
        // Made only when needed: an error captures a stack, and most operations finish in time.
        this.timeoutError = new ApiError(
          'TIMEOUT',
          `The operation ran longer than ${timeoutMs} ms and its answer was abandoned. Work it ` +
            'started may still complete: retry a mutation with the same idempotencyKey.',
          { timeoutMs },
        );
        reject(this.timeoutError);
      }, timeoutMs);
      this.timer.unref();
    });
    this.deadline.catch(() => undefined); // observed by the races; never an unhandled rejection
  }

  stopDeadline(): void {
    clearTimeout(this.timer);
  }

  /** Throws TIMEOUT once the deadline has passed: a field that starts late never runs. */
  assertInTime(): void {
    if (this.timeoutError) throw this.timeoutError;
  }

  /** A pending result raced against the deadline; anything else as it is. */
  race<T>(result: T): T | Promise<Awaited<T>> {
    if (!this.deadline || !isPromiseLike(result)) return result;
    return Promise.race([result as PromiseLike<Awaited<T>>, this.deadline]);
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as { then?: unknown } | null)?.then === 'function';

const states = new WeakMap<object, OperationState>();

/** The state of the operation whose context this is; created by the limits plugin. */
export const operationStateOf = (context: unknown): OperationState | undefined =>
  typeof context === 'object' && context !== null ? states.get(context) : undefined;

export const attachOperationState = (context: object): OperationState => {
  const state = new OperationState();
  states.set(context, state);
  return state;
};
