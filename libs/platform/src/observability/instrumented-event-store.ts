import {
  type AppendResult,
  type EventStore,
  type EventToAppend,
  WrongExpectedRevisionError,
} from '#event-store';

import type { MailpackrMetrics } from './metrics.js';

/**
 * The event store with its appends counted: every writer of the process (commands, imports,
 * launches, delivery outcomes, webhooks) appends through the runtime's store, so this is the one
 * place appends, events and message outcomes are counted. Only what was written counts: a call
 * that throws (a conflict, the store down) wrote nothing.
 *
 * `onAppended` hears of every stream written, once it is stored and before the caller hears of
 * it (the API key cache drops changed keys there).
 */
export const instrumentEventStore = (
  store: EventStore,
  metrics: MailpackrMetrics,
  onAppended: (events: readonly EventToAppend[], result: AppendResult) => void = () => undefined,
): EventStore => {
  const failed = (error: unknown): never => {
    metrics.recordAppendFailed(error instanceof WrongExpectedRevisionError ? 'conflict' : 'error');
    throw error;
  };
  const append: EventStore['append'] = async (streamId, events, options) => {
    const result = await store.append(streamId, events, options).catch(failed);
    metrics.recordAppended(events);
    onAppended(events, result);
    return result;
  };
  const appendMany: EventStore['appendMany'] = async (requests) => {
    const results = await store.appendMany(requests).catch(failed);
    metrics.recordAppended(requests.flatMap((r) => r.events));
    requests.forEach((r, i) => onAppended(r.events, results[i]!));
    return results;
  };
  // A method replaced on the wrapper (a benchmark timing calls) is kept here, not on the store:
  // set on the store, it would be what `append` above calls, and call itself.
  const replaced = new Map<string | symbol, unknown>();
  return new Proxy(store, {
    set(_target, property, value) {
      replaced.set(property, value);
      return true;
    },
    get(target, property) {
      if (replaced.has(property)) return replaced.get(property);
      if (property === 'append') return append;
      if (property === 'appendMany') return appendMany;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the store itself: adapters keep private fields a proxy cannot reach.
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
};
