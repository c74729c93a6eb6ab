import { assertNever } from '../core/assert-never.js';
import { isValidDate } from '../core/validation.js';

import type { PrivacyRegulation } from './privacy-request.events.js';

/**
 * Legal deadlines of a data-subject request, computed in UTC so that they never depend on the
 * server's time zone.
 *
 * - GDPR Art. 12(3): one month from receipt, extendable once by two further months.
 * - CCPA §1798.130(a)(2): 45 days from receipt, extendable once by 45 more days.
 */
export const PRIVACY_REQUEST_DEADLINES = {
  gdpr: { months: 1, extensionMonths: 2 },
  ccpa: { days: 45, extensionDays: 45 },
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The deadline of a request received at `receivedAt`. */
export const privacyRequestDueDate = (receivedAt: Date, regulation: PrivacyRegulation): Date => {
  const from = validDate(receivedAt);
  switch (regulation) {
    case 'gdpr':
      return addCalendarMonths(from, PRIVACY_REQUEST_DEADLINES.gdpr.months);
    case 'ccpa':
      return addDays(from, PRIVACY_REQUEST_DEADLINES.ccpa.days);
    default:
      return assertNever(regulation, 'Unknown regulation');
  }
};

/** The deadline once the one extension the regulation allows is taken, from the original one. */
export const extendedDueDate = (dueAt: Date, regulation: PrivacyRegulation): Date => {
  const from = validDate(dueAt);
  switch (regulation) {
    case 'gdpr':
      return addCalendarMonths(from, PRIVACY_REQUEST_DEADLINES.gdpr.extensionMonths);
    case 'ccpa':
      return addDays(from, PRIVACY_REQUEST_DEADLINES.ccpa.extensionDays);
    default:
      return assertNever(regulation, 'Unknown regulation');
  }
};

/**
 * The same day of the month `months` calendar months later (or earlier, when negative), at the
 * same UTC time of day. When the target month is too short (Jan 31 + 1 month) it is the last day
 * of that month (Feb 28, or Feb 29 in a leap year).
 */
export const addCalendarMonths = (date: Date, months: number): Date => {
  const from = validDate(date);
  const target = new Date(from.getTime());
  // Day 1 first, so that setting the month never overflows into the month after.
  target.setUTCDate(1);
  target.setUTCMonth(from.getUTCMonth() + months);
  target.setUTCDate(Math.min(from.getUTCDate(), daysInUtcMonth(target)));
  return target;
};

const addDays = (date: Date, days: number): Date => new Date(date.getTime() + days * DAY_MS);

const daysInUtcMonth = (date: Date): number => {
  const lastDay = new Date(date.getTime());
  lastDay.setUTCDate(1);
  lastDay.setUTCMonth(lastDay.getUTCMonth() + 1, 0);
  return lastDay.getUTCDate();
};

const validDate = (date: Date): Date => {
  if (!isValidDate(date)) throw new RangeError('A deadline needs a valid date');
  return date;
};
