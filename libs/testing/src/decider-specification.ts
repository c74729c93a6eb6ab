import { expect } from '@jest/globals';

import type { Command, Decider, Event } from '#domain';

/** Any error class, abstract or not, whatever its constructor takes. */
export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

export type DeciderThen<S, E> = {
  /** The command produces exactly these events, in this order. */
  then: (expected: readonly E[]) => void;
  /** The command is accepted and produces no event (idempotent, or nothing changed). */
  thenNothing: () => void;
  /** The command is rejected with this error class (and, when given, the predicate holds). */
  thenThrows: <Err extends Error>(
    errorClass: ErrorClass<Err>,
    predicate?: (error: Err) => boolean,
  ) => void;
  /** The state after the given events and the events the command produced. */
  thenState: (expected: S) => void;
  /** Like `thenState`, but only the fields given are compared (`toMatchObject`). */
  thenStateMatches: (expected: StatePattern<S>) => void;
};

/** Some fields of one variant of the state, always with its discriminant when it has one. */
export type StatePattern<S> = S extends { status: infer T }
  ? Partial<S> & { status: T }
  : Partial<S>;

export type DeciderGiven<S, C, E> = (events?: E | readonly E[]) => {
  when: (command: C) => DeciderThen<S, E>;
};

/**
 * Given/When/Then over a pure decider, after Emmett's `DeciderSpecification`:
 *
 *   const given = DeciderSpecification.for(campaignDecider);
 *   given([aCampaignDrafted({ campaignId })]).when(aScheduleCampaign({ campaignId })).then([...]);
 */
export const DeciderSpecification = {
  for<S, C extends Command<string, object>, E extends Event<string, object>>(
    decider: Decider<S, C, E>,
  ): DeciderGiven<S, C, E> {
    return (givenEvents = []) => {
      const history: readonly E[] = isEventList(givenEvents) ? givenEvents : [givenEvents];
      return {
        when: (command) => {
          const fold = (events: readonly E[]): S =>
            events.reduce<S>(
              (state, event) => decider.evolve(state, event),
              decider.initialState(),
            );
          const run = (): E[] => decider.decide(command, fold(history));

          return {
            then: (expected) => {
              expect(run()).toEqual(expected);
            },
            thenNothing: () => {
              expect(run()).toEqual([]);
            },
            thenState: (expected) => {
              const produced = run();
              expect(fold([...history, ...produced])).toEqual(expected);
            },
            thenStateMatches: (expected) => {
              const produced = run();
              expect(fold([...history, ...produced])).toMatchObject(expected);
            },
            thenThrows: (errorClass, predicate) => {
              let produced: E[];
              try {
                produced = run();
              } catch (error) {
                expect(error).toBeInstanceOf(errorClass);
                if (predicate && !predicate(error as Parameters<typeof predicate>[0])) {
                  throw new Error(
                    `The decider threw ${describeError(error)}, which does not match the predicate`,
                    { cause: error },
                  );
                }
                return;
              }
              throw new Error(
                `Expected the decider to throw ${errorClass.name}, but it produced ${preview(produced)}`,
              );
            },
          };
        },
      };
    };
  },
};

const isEventList = <E>(events: E | readonly E[]): events is readonly E[] => Array.isArray(events);

const preview = (value: unknown, max = 500): string => {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > max ? `${json.slice(0, max)}… (${json.length} characters)` : json;
};

const describeError = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const code = 'code' in error ? ` [${String(error.code)}]` : '';
  return `${error.name}${code}: ${error.message}`;
};
