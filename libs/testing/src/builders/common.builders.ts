import { randomUUID } from 'node:crypto';

/** A fresh id: every test owns its streams and rows. */
export const anId = (): string => randomUUID();

/** The fixed clock of the builders (a new Date each call: Dates are mutable). */
export const aNow = (): Date => new Date('2025-01-01T10:00:00.000Z');

export const minutesAfter = (date: Date, minutes: number): Date =>
  new Date(date.getTime() + minutes * 60_000);

export const daysAfter = (date: Date, days: number): Date => minutesAfter(date, days * 24 * 60);
