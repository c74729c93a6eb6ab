/**
 * The decider pattern (Emmett, EventSourcing.NodeJS): pure functions over discriminated unions.
 * `decide` turns a command and the current state into new events (or throws a DomainError),
 * `evolve` folds one event into the state, `initialState` is the state of an empty stream.
 */

export type Event<T extends string, D extends object> = Readonly<{ type: T; data: Readonly<D> }>;

/** Time (and any generated id) comes in with the command: a decider never reads a clock. */
export type CommandMetadata = Readonly<{ now: Date }>;

export type Command<T extends string, D extends object> = Readonly<{
  type: T;
  data: Readonly<D>;
  metadata: CommandMetadata;
}>;

export type Decider<S, C extends Command<string, object>, E extends Event<string, object>> = {
  decide: (command: C, state: S) => E[];
  evolve: (state: S, event: E) => S;
  initialState: () => S;
};

/** Fold a stream's events into the current state. */
export const evolveAll = <S, E extends Event<string, object>>(
  decider: Pick<Decider<S, Command<string, object>, E>, 'evolve' | 'initialState'>,
  events: Iterable<E>,
): S => {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
};
