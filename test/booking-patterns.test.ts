import { describe, expect, it } from 'vitest';
import {
  expandPattern,
  formatMinutes,
  isoWeekOf,
  parseDate,
  parseIsoWeek,
  parseTime,
  readPatternForm,
  readSlotForm,
  readWindowForm,
  wallClock,
  type WeeklyPattern,
} from '../server/booking/patterns.ts';
import { local } from './support/booking.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('reading dates and times as people type them', () => {
  it('reads dates from a date field and in Danish writing, and refuses what is no date', () => {
    expect(parseDate('2026-12-01')).toBe('2026-12-01');
    expect(parseDate('1-12-2026')).toBe('2026-12-01');
    expect(parseDate('01.12.2026')).toBe('2026-12-01');
    expect(parseDate(' 1/12/2026 ')).toBe('2026-12-01');
    for (const bad of ['', '2026-02-30', '31-04-2026', '2026-13-01', 'i morgen', '12/2026', '1999-12-31', '2026-12-01T10:00']) {
      expect(parseDate(bad), bad).toBeUndefined();
    }
  });

  it('reads times of day, and refuses what is no time', () => {
    expect(parseTime('09:00')).toBe(540);
    expect(parseTime('9.30')).toBe(570);
    expect(parseTime('0930')).toBe(570);
    expect(parseTime('9')).toBe(540);
    expect(parseTime('23:59')).toBe(1439);
    for (const bad of ['', '24:00', '9:60', 'ni', '9:5', '-1', '12:00:00']) expect(parseTime(bad), bad).toBeUndefined();
    expect(formatMinutes(545)).toBe('09:05');
  });

  it('knows that 02:30 does not exist in Copenhagen on 29 March 2026, and 02:30 on 25 October (which happens twice) is taken once', () => {
    expect(wallClock('2026-03-29', 150)).toBeUndefined();
    expect(wallClock('2026-03-29', 180)?.toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(wallClock('2026-10-25', 150)?.toISOString()).toBe('2026-10-25T01:30:00.000Z');
  });

  it('reads ISO weeks for the week view', () => {
    const week = parseIsoWeek('2026-W49');
    expect(week?.start.toISO()).toBe('2026-11-30T00:00:00.000+01:00');
    expect(week?.end.toISO()).toBe('2026-12-07T00:00:00.000+01:00');
    expect(parseIsoWeek('2026-W53')?.start.toISODate()).toBe('2026-12-28');
    for (const bad of ['2027-W53', '2026-W00', '2026-W7', '2026W49', 'garbage', '1999-W10']) expect(parseIsoWeek(bad), bad).toBeUndefined();
    expect(isoWeekOf(local('2027-01-03T23:30'))).toBe('2026-W53');
  });
});

describe('a weekly pattern', () => {
  const tuesdaysAndThursdays: WeeklyPattern = {
    from: '2026-12-01',
    to: '2026-12-10',
    weekdays: [2, 4],
    startMinute: 9 * 60,
    endMinute: 12 * 60,
    lengthMinutes: 30,
    gapMinutes: 15,
  };

  it('gives samtaler of the length with the pause between them, on the weekdays, within the dates', () => {
    const slots = expandPattern(tuesdaysAndThursdays);
    expect(slots.map((s) => s.day)).toEqual([
      ...Array(4).fill('2026-12-01'),
      ...Array(4).fill('2026-12-03'),
      ...Array(4).fill('2026-12-08'),
      ...Array(4).fill('2026-12-10'),
    ]);
    expect(iso(slots.slice(0, 4).map((s) => s.startsAt))).toEqual(iso(['09:00', '09:45', '10:30', '11:15'].map((t) => local(`2026-12-01T${t}`))));
    expect(slots.every((s) => s.endsAt.getTime() - s.startsAt.getTime() === 30 * 60_000)).toBe(true);
    expect(expandPattern(tuesdaysAndThursdays, 5)).toHaveLength(5);
  });

  it('keeps 09:00 at 09:00 Copenhagen time across 29 March and 25 October 2026 (the UTC instants move)', () => {
    const nine = { weekdays: [2, 4], startMinute: 540, endMinute: 570, lengthMinutes: 30, gapMinutes: 0 };
    const spring = expandPattern({ ...nine, from: '2026-03-24', to: '2026-03-31' });
    expect(iso(spring.map((s) => s.startsAt))).toEqual(['2026-03-24T08:00:00.000Z', '2026-03-26T08:00:00.000Z', '2026-03-31T07:00:00.000Z']);
    const autumn = expandPattern({ ...nine, from: '2026-10-20', to: '2026-10-29' });
    expect(iso(autumn.map((s) => s.startsAt))).toEqual([
      '2026-10-20T07:00:00.000Z',
      '2026-10-22T07:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
      '2026-10-29T08:00:00.000Z',
    ]);
  });

  it('skips the times that do not exist when the clocks go forward', () => {
    const night = expandPattern({ from: '2026-03-29', to: '2026-03-29', weekdays: [7], startMinute: 120, endMinute: 210, lengthMinutes: 30, gapMinutes: 0 });
    expect(iso(night.map((s) => s.startsAt))).toEqual(['2026-03-29T01:00:00.000Z']);
  });
});

describe('the forms', () => {
  const now = local('2026-11-23T12:00');
  const pattern = {
    from: '2026-12-01',
    to: '2026-12-10',
    weekdays: ['2', '4'],
    start: '09:00',
    end: '12:00',
    length: '30',
    gap: '15',
    mode: 'in_person',
    place: 'Jobcentret, Søndergade 2',
  };

  it('reads a good pattern', () => {
    const form = readPatternForm(pattern, now);
    if (!form.ok) throw new Error(JSON.stringify(form.errors));
    expect(form.slots).toHaveLength(16);
    expect(form.mode).toBe('in_person');
  });

  it('says what is wrong with a pattern, at the field', () => {
    const errors = (body: Record<string, unknown>) => {
      const form = readPatternForm(body, now);
      return form.ok ? {} : form.errors;
    };
    expect(errors({})).toEqual({
      from: 'caseworker.errors.fromMissing',
      to: 'caseworker.errors.toMissing',
      weekdays: 'caseworker.errors.weekdaysMissing',
      start: 'caseworker.errors.startMissing',
      end: 'caseworker.errors.endMissing',
      length: 'caseworker.errors.lengthInvalid',
      gap: 'caseworker.errors.gapInvalid',
      mode: 'caseworker.errors.modeMissing',
    });
    expect(errors({ ...pattern, from: '2026-11-22' })).toEqual({ from: 'caseworker.errors.fromPast' });
    expect(errors({ ...pattern, from: '32-12-2026' })).toEqual({ from: 'caseworker.errors.dateInvalid' });
    expect(errors({ ...pattern, to: '2026-11-30' })).toEqual({ to: 'caseworker.errors.toBeforeFrom' });
    expect(errors({ ...pattern, to: '2027-06-01' })).toEqual({ to: 'caseworker.errors.rangeTooLong' });
    expect(errors({ ...pattern, weekdays: ['8'] })).toEqual({ weekdays: 'caseworker.errors.weekdaysMissing' });
    expect(errors({ ...pattern, end: '08:00' })).toEqual({ end: 'caseworker.errors.endBeforeStart' });
    expect(errors({ ...pattern, end: '09:20' })).toEqual({ end: 'caseworker.errors.noRoomForLength' });
    expect(errors({ ...pattern, start: '9:75' })).toEqual({ start: 'caseworker.errors.timeInvalid' });
    expect(errors({ ...pattern, length: '31' })).toEqual({ length: 'caseworker.errors.lengthInvalid' });
    expect(errors({ ...pattern, gap: '-5' })).toEqual({ gap: 'caseworker.errors.gapInvalid' });
    expect(errors({ ...pattern, mode: 'teleport' })).toEqual({ mode: 'caseworker.errors.modeMissing' });
    expect(errors({ ...pattern, place: 'x'.repeat(201) })).toEqual({ place: 'caseworker.errors.placeTooLong' });
    // Only Sundays, in a week from Monday to Friday: nothing.
    expect(errors({ ...pattern, from: '2026-11-30', to: '2026-12-04', weekdays: '7' })).toEqual({ weekdays: 'caseworker.errors.noTimes' });
    // Every day 08:00-20:00 in 15-minute samtaler for 26 weeks: far more than 500.
    expect(errors({ ...pattern, to: '2027-05-30', weekdays: ['1', '2', '3', '4', '5', '6', '7'], start: '08:00', end: '20:00', length: '15', gap: '0' })).toEqual({
      to: 'caseworker.errors.tooManyTimes',
    });
  });

  it('reads one time, and refuses one in the past or one that does not exist', () => {
    const good = readSlotForm({ date: '24-11-2026', start: '10.00', length: '45', mode: 'video', place: '' }, now);
    if (!good.ok) throw new Error(JSON.stringify(good.errors));
    expect(good.slot.startsAt.toISOString()).toBe('2026-11-24T09:00:00.000Z');
    expect(good.slot.endsAt.toISOString()).toBe('2026-11-24T09:45:00.000Z');
    const errors = (body: Record<string, unknown>) => {
      const form = readSlotForm(body, now);
      return form.ok ? {} : form.errors;
    };
    expect(errors({ date: '2026-11-23', start: '11:00', length: '30', mode: 'phone' })).toEqual({ start: 'caseworker.errors.startPast' });
    expect(errors({ date: '2026-11-22', start: '11:00', length: '30', mode: 'phone' })).toEqual({ date: 'caseworker.errors.datePast' });
    expect(errors({ date: '2027-03-28', start: '02:30', length: '30', mode: 'phone' })).toEqual({ start: 'caseworker.errors.timeMissingThatDay' });
    expect(errors({ date: ['2026-12-01', 'x'], start: { a: 1 }, length: '30', mode: 'phone' })).toEqual({ start: 'caseworker.errors.startMissing' });
  });

  it('reads a booking window for a citizen of the team only', () => {
    const citizen = '2b0c4c8e-5b8f-4d7a-9f00-000000000001';
    const team = new Set([citizen]);
    const good = readWindowForm({ citizen, earliest: '2026-11-24', latest: '2026-12-07', deadline: '2026-11-30' }, now, team);
    expect(good.ok && good.window).toEqual({ citizenId: citizen, earliestDate: '2026-11-24', latestDate: '2026-12-07', deadlineDate: '2026-11-30' });
    const errors = (body: Record<string, unknown>) => {
      const form = readWindowForm(body, now, team);
      return form.ok ? {} : form.errors;
    };
    const base = { citizen, earliest: '2026-11-24', latest: '2026-12-07', deadline: '2026-11-30' };
    expect(errors({ ...base, citizen: 'not-an-id' })).toEqual({ citizen: 'caseworker.errors.citizenUnknown' });
    expect(errors({ ...base, citizen: '2b0c4c8e-5b8f-4d7a-9f00-000000000002' })).toEqual({ citizen: 'caseworker.errors.citizenUnknown' });
    expect(errors({ ...base, earliest: '2026-11-01' })).toEqual({ earliest: 'caseworker.errors.earliestPast' });
    expect(errors({ ...base, latest: '2026-11-20' })).toEqual({ latest: 'caseworker.errors.latestBeforeEarliest' });
    expect(errors({ ...base, latest: '2027-11-20' })).toEqual({ latest: 'caseworker.errors.windowTooLong' });
    expect(errors({ ...base, deadline: '2026-12-08' })).toEqual({ deadline: 'caseworker.errors.deadlineAfterLatest' });
    expect(errors({ ...base, deadline: '2026-11-22' })).toEqual({ deadline: 'caseworker.errors.deadlinePast' });
    expect(errors({})).toEqual({
      citizen: 'caseworker.errors.citizenMissing',
      earliest: 'caseworker.errors.earliestMissing',
      latest: 'caseworker.errors.latestMissing',
      deadline: 'caseworker.errors.deadlineMissing',
    });
  });
});
