/**
 * Calendar months in a tenant's time zone: usage counters reset when the month changes there.
 * Pure: `Intl` is part of the language, and the instant always comes in from the caller.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

const formatter = (timeZone: string): Intl.DateTimeFormat => {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' });
    formatters.set(timeZone, f);
  }
  return f;
};

/** True for an IANA time zone this runtime knows (`Europe/Paris`, `UTC`). */
export const isTimeZone = (value: unknown): value is string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return false;
  try {
    formatter(value);
    return true;
  } catch {
    return false;
  }
};

/** `YYYY-MM` of an instant, in a time zone. */
export const billingMonthOf = (instant: Date, timeZone: string): string => {
  const parts = formatter(timeZone).formatToParts(instant);
  const year = parts.find((p) => p.type === 'year')!.value;
  const month = parts.find((p) => p.type === 'month')!.value;
  return `${year}-${month}`;
};

/**
 * The first instant of the month after `instant`'s, in the time zone: when the counters reset.
 * Found by bisection (to the millisecond) over the 30 hours around the UTC month boundary (zones are at most ±14 h).
 */
export const nextBillingMonthStart = (instant: Date, timeZone: string): Date => {
  const month = billingMonthOf(instant, timeZone);
  const [year, m] = month.split('-').map(Number) as [number, number];
  const utcBoundary = Date.UTC(m === 12 ? year + 1 : year, m === 12 ? 0 : m, 1);
  let low = utcBoundary - 15 * 3_600_000; // still in `month` there
  let high = utcBoundary + 15 * 3_600_000; // already in the next month
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (billingMonthOf(new Date(mid), timeZone) === month) low = mid;
    else high = mid;
  }
  return new Date(high);
};
