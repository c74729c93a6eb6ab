import { hash, randomUUID } from 'node:crypto';

import type { Command, Decider, Event } from '#domain';
import {
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
  WrongExpectedRevisionError,
} from '#event-store';
import type { PersonalDataCodec } from '#privacy';

/** Who asks, and the guards a caller may set. Nothing personal: ids and roles only. */
export interface CommandContext {
  tenantId: string;
  /** An API key id, `operator:cli`, `system:bootstrap`. */
  actor: string;
  /** Idempotency key: a retried command with the same id returns the first result. */
  commandId?: string;
  correlationId?: string;
  causationId?: string;
  /** Fail with a conflict unless the stream is at this revision (`-1n`: must not exist). */
  expectedRevision?: bigint;
}

export interface CommandResult<S, E> {
  state: S;
  /** The events this call appended: empty when nothing changed or on an idempotent retry. */
  events: E[];
  /** Revision of the stream after the command (-1n: the stream does not exist). */
  revision: bigint;
  /** Log position to wait for before reading the read models; undefined for an empty stream. */
  position?: Position;
}

/** A stream as `readMany` gives it: the folded state and the revision to append after. */
export interface StreamState<S> {
  state: S;
  /** Revision of the stream's last event (-1n: the stream does not exist). */
  revision: bigint;
  /** The recorded events (personal fields as stored), e.g. to find an earlier command id. */
  recorded: RecordedEvent[];
}

const MAX_ATTEMPTS = 5;

/** A UUID derived from a name (SHA-256 based, version nibble 5): the same name, the same id. */
export const uuidFromName = (name: string): string => {
  const hex = hash('sha256', name, 'hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** Deterministic event ids for a command id, so a retried append is recognised by the store. */
const eventIdFor = (commandId: string, index: number): string =>
  uuidFromName(`${commandId}:${index}`);

/**
 * The events of one command as the store takes them: personal fields encrypted, metadata set,
 * ids derived from the command id (so a retried append of the same command is recognised).
 */
export const encodeEvents = async (
  codec: PersonalDataCodec,
  events: ReadonlyArray<Event<string, object>>,
  context: CommandContext,
  commandId: string,
): Promise<EventToAppend[]> => (await encodeCommands(codec, [{ events, commandId }], context))[0]!;

/**
 * `encodeEvents` for many commands of one tenant with one encryption call (bulk writers: one key
 * lookup for the subjects not cached). Results keep the order of `commands`.
 */
export const encodeCommands = async (
  codec: PersonalDataCodec,
  commands: ReadonlyArray<{ events: ReadonlyArray<Event<string, object>>; commandId: string }>,
  context: CommandContext,
): Promise<EventToAppend[][]> => {
  const data = await codec.encryptEvents(
    commands.flatMap(({ events }) => events),
    context.tenantId,
  );
  let next = 0;
  return commands.map(({ events, commandId }) =>
    events.map((event, index) => ({
      eventId: eventIdFor(commandId, index),
      type: event.type,
      data: data[next++]!,
      metadata: {
        commandId,
        correlationId: context.correlationId ?? commandId,
        causationId: context.causationId ?? commandId,
        tenantId: context.tenantId,
        actor: context.actor,
        schemaVersion: 1,
      },
    })),
  );
};

const fold = <S, C extends Command<string, object>, E extends Event<string, object>>(
  decider: Decider<S, C, E>,
  history: ReadonlyArray<{ recorded: RecordedEvent; data: unknown }>,
): S =>
  history.reduce(
    (state, { recorded, data }) =>
      decider.evolve(state, { type: recorded.type, data } as unknown as E),
    decider.initialState(),
  );

/**
 * Load → decide → append, and nothing else (EventSourcing.NodeJS's CommandHandler in DI form).
 * Personal fields are decrypted for the decider and encrypted again before the append, so the
 * domain works with plain values and the store only ever holds ciphertext.
 */
export class CommandExecutor {
  constructor(
    private readonly store: EventStore,
    private readonly codec: PersonalDataCodec,
  ) {}

  /** A stream's events with their personal fields decrypted (`[erased]` once shredded). */
  async history(streamId: string): Promise<Array<{ recorded: RecordedEvent; data: unknown }>> {
    const recorded = await this.store.readStream(streamId);
    const data = await this.codec.decryptEvents(
      recorded.map((e) => ({ type: e.type, data: e.data })),
    );
    return recorded.map((e, i) => ({ recorded: e, data: data[i] }));
  }

  /** The current state of a stream (decrypted and folded), without deciding anything. */
  async read<S, C extends Command<string, object>, E extends Event<string, object>>(
    streamId: string,
    decider: Decider<S, C, E>,
  ): Promise<S> {
    return fold(decider, await this.history(streamId));
  }

  /**
   * Many streams' current states with one store read (`readStreams`) and one decryption, keyed
   * by stream id (a stream that does not exist: the initial state, revision -1n). For bulk
   * writers that decide for many streams and append them with one `appendMany`.
   */
  async readMany<S, C extends Command<string, object>, E extends Event<string, object>>(
    streamIds: readonly string[],
    decider: Decider<S, C, E>,
  ): Promise<Map<string, StreamState<S>>> {
    const ids = [...new Set(streamIds)];
    const streams = await this.store.readStreams(ids);
    const all = ids.flatMap((id) => streams.get(id) ?? []);
    const data = await this.codec.decryptEvents(all.map((e) => ({ type: e.type, data: e.data })));
    const states = new Map<string, StreamState<S>>();
    let offset = 0;
    for (const id of ids) {
      const recorded = streams.get(id) ?? [];
      const history = recorded.map((e, i) => ({ recorded: e, data: data[offset + i] }));
      offset += recorded.length;
      states.set(id, {
        state: fold(decider, history),
        revision: recorded.at(-1)?.revision ?? -1n,
        recorded,
      });
    }
    return states;
  }

  /** `encodeEvents` with this executor's codec: events ready for `append` / `appendMany`. */
  encode(
    events: ReadonlyArray<Event<string, object>>,
    context: CommandContext,
    commandId: string,
  ): Promise<EventToAppend[]> {
    return encodeEvents(this.codec, events, context, commandId);
  }

  async handle<S, C extends Command<string, object>, E extends Event<string, object>>(
    streamId: string,
    decider: Decider<S, C, E>,
    command: C,
    context: CommandContext,
  ): Promise<CommandResult<S, E>> {
    for (let attempt = 1; ; attempt++) {
      const history = await this.history(streamId);
      const recorded = history.map((h) => h.recorded);
      let state = fold(decider, history);
      const last = recorded[recorded.length - 1];
      const revision = last ? last.revision : -1n;

      if (context.commandId) {
        const earlier = recorded.filter((e) => e.metadata.commandId === context.commandId);
        if (earlier.length > 0) {
          return { state, events: [], revision, position: earlier[earlier.length - 1]!.position };
        }
      }
      if (context.expectedRevision !== undefined && context.expectedRevision !== revision) {
        throw new WrongExpectedRevisionError(
          streamId,
          context.expectedRevision.toString(),
          revision < 0n ? 'no_stream' : revision,
        );
      }

      const events = decider.decide(command, state);
      if (events.length === 0) return { state, events, revision, position: last?.position };

      const commandId = context.commandId ?? randomUUID();
      const toAppend = await encodeEvents(this.codec, events, context, commandId);
      try {
        const result = await this.store.append(streamId, toAppend, {
          expectedRevision: revision < 0n ? 'no_stream' : revision,
        });
        for (const event of events) state = decider.evolve(state, event);
        return { state, events, revision: result.nextExpectedRevision, position: result.position };
      } catch (error) {
        // Someone else wrote first. Without a guard from the caller, decide again on fresh state.
        const retry =
          error instanceof WrongExpectedRevisionError &&
          context.expectedRevision === undefined &&
          attempt < MAX_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }
}
