import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { useTestApp } from './helper.ts';
import { earliestAllowedFrom, latestAllowedBefore, maySendAt } from '../server/sms/quiet-hours.ts';
import { ZONE } from '../server/time.ts';

const local = (iso: string) => DateTime.fromISO(iso, { zone: ZONE }).toJSDate();
const hhmm = (d: Date) => DateTime.fromJSDate(d, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm');

describe('quiet hours (default 21:00-08:00 Copenhagen)', () => {
  it('allows 08:00 up to, not including, 21:00', () => {
    expect(maySendAt(local('2026-11-24T07:59:59'))).toBe(false);
    expect(maySendAt(local('2026-11-24T08:00:00'))).toBe(true);
    expect(maySendAt(local('2026-11-24T20:59:59'))).toBe(true);
    expect(maySendAt(local('2026-11-24T21:00:00'))).toBe(false);
    expect(maySendAt(local('2026-11-24T03:00:00'))).toBe(false);
  });

  it('a reminder due at 03:00 waits until 08:00, also on the nights the clocks change', () => {
    expect(hhmm(earliestAllowedFrom(local('2026-11-24T03:00')))).toBe('2026-11-24 08:00');
    expect(hhmm(earliestAllowedFrom(local('2026-11-24T22:30')))).toBe('2026-11-25 08:00');
    expect(hhmm(earliestAllowedFrom(local('2026-03-29T03:00')))).toBe('2026-03-29 08:00');
    expect(hhmm(earliestAllowedFrom(local('2026-10-25T02:30')))).toBe('2026-10-25 08:00');
    expect(hhmm(earliestAllowedFrom(local('2026-11-24T12:00')))).toBe('2026-11-24 12:00');
  });

  it('a nudge that promises 48 hours moves to the last allowed moment before, never after', () => {
    // Deadline 23:59 -> ideal 23:59 two days before, in quiet hours -> 20:50 that evening.
    expect(hhmm(latestAllowedBefore(local('2026-11-22T23:59')))).toBe('2026-11-22 20:50');
    expect(hhmm(latestAllowedBefore(local('2026-11-23T03:00')))).toBe('2026-11-22 20:50');
    expect(hhmm(latestAllowedBefore(local('2026-11-23T20:55')))).toBe('2026-11-23 20:50');
    expect(hhmm(latestAllowedBefore(local('2026-11-23T14:00')))).toBe('2026-11-23 14:00');
    expect(hhmm(latestAllowedBefore(local('2026-03-29T02:30')))).toBe('2026-03-28 20:50');
  });
});

describe('sms_latest_allowed_before() in SQL is the same rule as latestAllowedBefore()', () => {
  const t = useTestApp();

  it('agrees every 7 minutes over the days around both clock changes of 2026', async () => {
    const instants: Date[] = [];
    for (const start of ['2026-03-27T00:00:00Z', '2026-10-23T00:00:00Z']) {
      for (let m = 0; m < 4 * 24 * 60; m += 7) instants.push(new Date(Date.parse(start) + m * 60_000));
    }
    const { rows } = await sql<{ t: Date; at: Date }>`
      SELECT x.t, sms_latest_allowed_before(x.t, '21:00', '08:00') AS at
      FROM unnest(${instants.map((d) => d.toISOString())}::timestamptz[]) AS x(t)
      ORDER BY x.t`.execute(t.app.db);
    expect(rows).toHaveLength(instants.length);
    for (const row of rows) {
      expect(row.at.toISOString(), `for ${row.t.toISOString()}`).toBe(latestAllowedBefore(row.t).toISOString());
    }
  });
});
