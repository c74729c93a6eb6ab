import v8 from 'node:v8';

/** How far the heap may grow past what the last full collection kept, for a long streaming job. */
export const STREAMING_HEAP_GROWTH_PERCENT = 100;

/**
 * Makes V8 collect once the heap has grown `percent` past what it held after the last full
 * collection, instead of its own factor of up to four times. For a process that streams a large
 * job (the CLI's contact import): such a job holds a few MB at a time (three batches), but keeps
 * batches alive across database round trips, so they are promoted to the old generation, and on
 * a machine with memory to spare V8 lets that garbage pile up to four times the live heap before
 * collecting (a 100k-row import peaked at 316 MB RSS with 4.6 MB kept; with this, about 210 MB).
 *
 * A growth factor, not a cap: a job that really holds more is never stopped. Left alone when the
 * operator chose their own (`node --heap-growing-percent=…`; Node refuses it in `NODE_OPTIONS`).
 * Process-wide, so only for processes that run that one job, never for the API or the worker.
 */
export const keepHeapNearLive = (percent = STREAMING_HEAP_GROWTH_PERCENT): void => {
  const chosen = process.execArgv.some((flag) => /^--heap[-_]growing[-_]percent\b/.test(flag));
  if (!chosen) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
};
