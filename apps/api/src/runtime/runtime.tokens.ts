/** DI token for the started MailpackrRuntime (storage, vault, projections). */
export const RUNTIME = Symbol('MailpackrRuntime');
/** DI token for the clock: `() => Date`, swapped in tests. */
export const CLOCK = Symbol('Clock');
export type Clock = () => Date;
