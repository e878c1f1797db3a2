import { beforeAll, describe, expect, it } from 'vitest';
import cron from 'node-cron';
import { sql } from 'kysely';
import { jobs, MONTHLY_RATES_SCHEDULE } from '../jobs/registry.ts';
import { isoWeekOf } from '../jobs/joblog-nudges.ts';
import { nudgeVersion } from '../jobs/booking-nudges.ts';
import { bookMeeting, cancelMeeting, moveMeeting } from '../server/booking/service.ts';
import type { Actor } from '../server/audit/audit.ts';
import { latestAllowedBefore } from '../server/sms/quiet-hours.ts';
import { useTestApp } from './helper.ts';
import { clearBookingDemo, createSlot, createWindow, local } from './support/booking.ts';
import { createCaseworker, createCitizens, testClock } from './support/booking-http.ts';
import { outboxOf, runJobAt } from './support/jobs.ts';

/**
 * The jobs that create SMS: each finds its due work in SQL, so running twice creates nothing new, a
 * late run catches up only what is still relevant, and the instants are right across daylight saving
 * and quiet hours. (Course enrolment: test/course-enrolment.test.ts; purge: test/purge.test.ts.)
 */

const clock = testClock(local('2026-12-01T09:00'));
const ctx = useTestApp({ clock });
const HOUR = 3_600_000;
let caseworker: string;

const staff: Actor = { kind: 'staff', id: null, name: 'Test', role: 'caseworker', jobcenterId: '0999', requestId: 'test' };

let citizenCount = 0;
async function newCitizen(options: { language?: 'da' | 'en' } = {}): Promise<string> {
  citizenCount++;
  const [citizen] = await createCitizens(ctx.app.db, 1, { prefix: `sj${citizenCount}x`, ...options });
  if (!citizen) throw new Error('no citizen');
  return citizen.id;
}

/** Books a meeting for a new citizen at `startsAt`, as a caseworker would, at the moment `bookedAt`. */
async function bookAt(startsAt: Date, bookedAt: Date): Promise<{ id: string; citizenId: string }> {
  const citizenId = await newCitizen();
  const slotId = await createSlot(ctx.app.db, caseworker, startsAt);
  const outcome = await bookMeeting(ctx.app.db, {
    jobcenterId: '0999',
    citizenId,
    windowId: null,
    slotId,
    channel: 'caseworker',
    actor: staff,
    now: bookedAt,
  });
  if (!outcome.ok) throw new Error(`booking refused: ${outcome.refusal}`);
  return { id: outcome.meeting.id, citizenId };
}

const reminders = async (meetingId: string) => (await outboxOf(ctx.app.db, `meeting:${meetingId}`)).filter((r) => r.kind === 'meeting_reminder');

beforeAll(async () => {
  await clearBookingDemo(ctx.app.db);
  caseworker = await createCaseworker(ctx.app.db, 'Jobs Test');
});

describe('meeting reminders', () => {
  it('are created once, 48 hours before, within the lookahead, expiring at the start', async () => {
    const meeting = await bookAt(local('2026-12-10T10:00'), local('2026-12-01T09:00'));
    // Due 8 December 10:00: more than 24 hours ahead on the 6th, so not yet.
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-06T12:00'));
    expect(await reminders(meeting.id)).toEqual([]);

    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-07T12:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-07T12:00'));
    const second = await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-07T12:10'));
    expect(second.created).toBe(0);
    const rows = await reminders(meeting.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ version: '0', status: 'pending', citizen_id: meeting.citizenId, body: null, recipient: null });
    expect(rows[0]?.due_at.toISOString()).toBe(local('2026-12-08T10:00').toISOString());
    expect(rows[0]?.expires_at?.toISOString()).toBe(local('2026-12-10T10:00').toISOString());
  });

  it('three runs at the same moment create each reminder once', async () => {
    const meeting = await bookAt(local('2026-12-10T13:00'), local('2026-12-01T09:00'));
    const results = await Promise.all([1, 2, 3].map(() => runJobAt(ctx.app, 'meeting-reminders', local('2026-12-08T09:00'))));
    expect(results.reduce((sum, r) => sum + (r.created ?? 0), 0)).toBeGreaterThanOrEqual(1);
    expect(await reminders(meeting.id)).toHaveLength(1);
  });

  it('a late run catches up a meeting still ahead, and not one that has passed', async () => {
    const ahead = await bookAt(local('2026-12-09T09:00'), local('2026-12-01T09:00'));
    const passed = await bookAt(local('2026-12-05T09:00'), local('2026-12-01T09:00'));
    // The job was down from 1 December until the 8th at noon.
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-08T12:00'));
    const caught = await reminders(ahead.id);
    expect(caught).toHaveLength(1);
    // Due 7 December 09:00, in the past: the sender sends it at once.
    expect(caught[0]?.due_at.toISOString()).toBe(local('2026-12-07T09:00').toISOString());
    expect(await reminders(passed.id)).toEqual([]);
  });

  it('a meeting booked less than 48 hours ahead gets only its confirmation', async () => {
    const meeting = await bookAt(local('2026-12-03T10:00'), local('2026-12-01T12:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-02T09:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-03T08:00'));
    const rows = await outboxOf(ctx.app.db, `meeting:${meeting.id}`);
    expect(rows.map((r) => r.kind)).toEqual(['meeting_booked']);
  });

  it('a moved meeting gets a reminder for its new time only; moved to less than 48 hours ahead, none', async () => {
    const meeting = await bookAt(local('2026-12-10T09:00'), local('2026-12-01T09:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-07T12:00'));
    expect((await reminders(meeting.id)).map((r) => [r.version, r.status])).toEqual([['0', 'pending']]);

    const newSlot = await createSlot(ctx.app.db, caseworker, local('2026-12-11T09:00'));
    const change = { jobcenterId: '0999', meetingId: meeting.id, citizenId: null, enforceNotice: false, actor: staff, now: local('2026-12-07T13:00') };
    const moved = await moveMeeting(ctx.app.db, { ...change, slotId: newSlot, channel: 'caseworker' });
    if (!moved.ok) throw new Error(moved.refusal);
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-08T12:00'));
    const rows = await reminders(meeting.id);
    // The old reminder was cancelled by the move; the new one is for sequence 1, 48 hours before 11 December 09:00.
    expect(rows.map((r) => [r.version, r.status])).toEqual([
      ['0', 'cancelled'],
      ['1', 'pending'],
    ]);
    expect(rows[1]?.due_at.toISOString()).toBe(local('2026-12-09T09:00').toISOString());

    // Moved again on the 10th to the 12th at 08:00: less than 48 hours ahead, so no reminder for sequence 2.
    const lastSlot = await createSlot(ctx.app.db, caseworker, local('2026-12-12T08:00'));
    const again = await moveMeeting(ctx.app.db, { ...change, now: local('2026-12-10T10:00'), slotId: lastSlot, channel: 'caseworker' });
    if (!again.ok) throw new Error(again.refusal);
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-10T11:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-11T09:00'));
    expect((await reminders(meeting.id)).map((r) => r.version)).toEqual(['0', '1']);
  });

  it('a cancelled meeting gets none', async () => {
    const meeting = await bookAt(local('2026-12-10T11:00'), local('2026-12-01T09:00'));
    const cancelled = await cancelMeeting(ctx.app.db, {
      jobcenterId: '0999',
      meetingId: meeting.id,
      citizenId: null,
      enforceNotice: false,
      actor: staff,
      now: local('2026-12-02T09:00'),
    });
    if (!cancelled.ok) throw new Error(cancelled.refusal);
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-12-08T12:00'));
    expect(await reminders(meeting.id)).toEqual([]);
  });

  it('DST: meetings at 09:00 on 30 March and 26 October 2026 are reminded exactly 48 real hours before', async () => {
    const spring = await bookAt(local('2026-03-30T09:00'), local('2026-03-16T09:00'));
    const autumn = await bookAt(local('2026-10-26T09:00'), local('2026-10-12T09:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-03-27T12:00'));
    await runJobAt(ctx.app, 'meeting-reminders', local('2026-10-23T12:00'));
    const [springRow] = await reminders(spring.id);
    const [autumnRow] = await reminders(autumn.id);
    // 30 March 09:00 CEST = 07:00Z; 48 hours before is 28 March 07:00Z = 08:00 CET (the clocks moved in between).
    expect(springRow?.due_at.toISOString()).toBe('2026-03-28T07:00:00.000Z');
    expect(local('2026-03-28T08:00').toISOString()).toBe('2026-03-28T07:00:00.000Z');
    // 26 October 09:00 CET = 08:00Z; 48 hours before is 24 October 08:00Z = 10:00 CEST.
    expect(autumnRow?.due_at.toISOString()).toBe('2026-10-24T08:00:00.000Z');
    expect(local('2026-10-24T10:00').toISOString()).toBe('2026-10-24T08:00:00.000Z');
    for (const [row, start] of [
      [springRow, '2026-03-30T09:00'],
      [autumnRow, '2026-10-26T09:00'],
    ] as const) {
      expect(local(start).getTime() - (row?.due_at.getTime() ?? 0)).toBe(48 * HOUR);
    }
  });
});

describe('booking nudges', () => {
  const nudges = async (windowId: string) => (await outboxOf(ctx.app.db, `window:${windowId}`)).filter((r) => r.kind === 'booking_nudge');

  it('a deadline at 23:59 gets its nudge at 20:50 two days before (quiet hours from 21:00), created once', async () => {
    const citizen = await newCitizen();
    const deadline = local('2026-12-10T23:59');
    const window = await createWindow(ctx.app.db, citizen, '2026-12-14', '2026-12-18', deadline);
    // Due 8 December 20:50: more than 24 hours ahead at 20:00 on the 7th.
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-07T20:00'));
    expect(await nudges(window)).toEqual([]);

    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-07T21:00'));
    const again = await runJobAt(ctx.app, 'booking-nudges', local('2026-12-07T21:00'));
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-08T21:00'));
    expect(again.created).toBe(0);
    const rows = await nudges(window);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ citizen_id: citizen, status: 'pending', version: nudgeVersion(deadline) });
    expect(rows[0]?.version).toBe('2026-12-10T22:59:00.000Z');
    expect(rows[0]?.due_at.toISOString()).toBe(local('2026-12-08T20:50').toISOString());
    expect(rows[0]?.expires_at?.toISOString()).toBe(deadline.toISOString());
    // Never later than 48 hours before the deadline, and the same rule as the sender's.
    expect(deadline.getTime() - (rows[0]?.due_at.getTime() ?? 0)).toBeGreaterThanOrEqual(48 * HOUR);
    expect(rows[0]?.due_at.toISOString()).toBe(latestAllowedBefore(new Date(deadline.getTime() - 48 * HOUR)).toISOString());
  });

  it("a deadline in the afternoon is nudged 48 hours before, less the sender's margin so the 48 hours hold", async () => {
    const citizen = await newCitizen();
    const deadline = local('2026-12-11T15:00');
    const window = await createWindow(ctx.app.db, citizen, '2026-12-14', '2026-12-18', deadline);
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-08T16:00'));
    const [row] = await nudges(window);
    expect(row?.due_at.toISOString()).toBe(local('2026-12-09T14:50').toISOString());
  });

  it('follows the jobcenter quiet hours', async () => {
    const citizen = await newCitizen();
    await ctx.app.db.updateTable('jobcenter_settings').set({ quiet_hours_start: '20:00' }).where('jobcenter_id', '=', '0999').execute();
    try {
      const window = await createWindow(ctx.app.db, citizen, '2026-12-14', '2026-12-18', local('2026-12-12T22:00'));
      await runJobAt(ctx.app, 'booking-nudges', local('2026-12-10T12:00'));
      const [row] = await nudges(window);
      expect(row?.due_at.toISOString()).toBe(local('2026-12-10T19:50').toISOString());
    } finally {
      await ctx.app.db.updateTable('jobcenter_settings').set({ quiet_hours_start: '21:00' }).where('jobcenter_id', '=', '0999').execute();
    }
  });

  it('none when a meeting is booked in the window; one when its meeting was cancelled', async () => {
    const db = ctx.app.db;
    const booked = await newCitizen();
    const bookedWindow = await createWindow(db, booked, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    const slot = await createSlot(db, caseworker, local('2026-12-15T09:00'));
    const outcome = await bookMeeting(db, {
      jobcenterId: '0999',
      citizenId: booked,
      windowId: bookedWindow,
      slotId: slot,
      channel: 'web',
      actor: { ...staff, kind: 'citizen', id: booked },
      now: local('2026-12-05T09:00'),
    });
    if (!outcome.ok) throw new Error(outcome.refusal);

    const cancelledCitizen = await newCitizen();
    const cancelledWindow = await createWindow(db, cancelledCitizen, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    const slot2 = await createSlot(db, caseworker, local('2026-12-16T09:00'));
    const booked2 = await bookMeeting(db, {
      jobcenterId: '0999',
      citizenId: cancelledCitizen,
      windowId: cancelledWindow,
      slotId: slot2,
      channel: 'web',
      actor: { ...staff, kind: 'citizen', id: cancelledCitizen },
      now: local('2026-12-05T09:00'),
    });
    if (!booked2.ok) throw new Error(booked2.refusal);
    const cancelled = await cancelMeeting(db, {
      jobcenterId: '0999',
      meetingId: booked2.meeting.id,
      citizenId: cancelledCitizen,
      enforceNotice: true,
      actor: { ...staff, kind: 'citizen', id: cancelledCitizen },
      now: local('2026-12-06T09:00'),
    });
    if (!cancelled.ok) throw new Error(cancelled.refusal);

    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-09T12:00'));
    expect(await nudges(bookedWindow)).toEqual([]);
    expect(await nudges(cancelledWindow)).toHaveLength(1);
  });

  it('a window created less than 48 hours before its deadline is nudged at once; a passed deadline not at all', async () => {
    const db = ctx.app.db;
    const late = await newCitizen();
    const lateWindow = await createWindow(db, late, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    const passed = await newCitizen();
    const passedWindow = await createWindow(db, passed, '2026-12-07', '2026-12-11', local('2026-12-06T23:59'));
    // The job was down from the 1st; it runs again on the 10th at noon.
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-10T12:00'));
    const [row] = await nudges(lateWindow);
    expect(row?.due_at.toISOString()).toBe(local('2026-12-10T12:00').toISOString());
    expect(await nudges(passedWindow)).toEqual([]);
  });

  it('a changed deadline is a new version (the sender cancels the old one as stale)', async () => {
    const db = ctx.app.db;
    const citizen = await newCitizen();
    const window = await createWindow(db, citizen, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-09T12:00'));
    await db.updateTable('booking_windows').set({ deadline: local('2026-12-12T23:59') }).where('id', '=', window).execute();
    await runJobAt(ctx.app, 'booking-nudges', local('2026-12-10T12:00'));
    expect((await nudges(window)).map((r) => r.version)).toEqual([
      nudgeVersion(local('2026-12-11T23:59')),
      nudgeVersion(local('2026-12-12T23:59')),
    ]);
  });
});

describe('Joblog nudges', () => {
  async function inTargetGroup(citizenId: string): Promise<void> {
    await ctx.app.db
      .insertInto('citizen_target_groups')
      .values({ jobcenter_id: '0999', citizen_id: citizenId, target_group: 'jobready_cash_benefit', period: '[2026-01-01,)' })
      .execute();
  }
  async function entry(citizenId: string, createdAt: Date, options: { deleted?: boolean; appliedOn?: string } = {}): Promise<void> {
    await ctx.app.db
      .insertInto('joblog_entries')
      .values({
        jobcenter_id: '0999',
        citizen_id: citizenId,
        employer: 'Firma',
        job_title: 'Lagermedarbejder',
        applied_on: options.appliedOn ?? '2026-11-20',
        created_at: createdAt,
        updated_at: createdAt,
        deleted_at: options.deleted ? createdAt : null,
      })
      .execute();
  }
  const deadlinesOf = (citizenId: string) =>
    ctx.app.db.selectFrom('joblog_deadlines').selectAll().where('citizen_id', '=', citizenId).orderBy('created_at').execute();

  it('gives the citizens it should a 48-hour deadline and its SMS in one go, once a week', async () => {
    const db = ctx.app.db;
    const now = local('2026-12-02T10:00');
    const quiet = await newCitizen();
    const active = await newCitizen();
    const absent = await newCitizen();
    const elsewhere = await newCitizen();
    const oldEntry = await newCitizen();
    const deletedEntry = await newCitizen();
    const noGroup = await newCitizen();
    for (const id of [quiet, active, absent, elsewhere, oldEntry, deletedEntry]) await inTargetGroup(id);
    await entry(active, local('2026-11-27T12:00'));
    // An application dated recently but logged 20 days ago: by when it was made, nothing in 14 days.
    await entry(oldEntry, local('2026-11-12T12:00'), { appliedOn: '2026-11-30' });
    await entry(deletedEntry, local('2026-11-30T12:00'), { deleted: true });
    await db.insertInto('citizen_absences').values({ jobcenter_id: '0999', citizen_id: absent, reason: 'sygdom', period: '[2026-11-25,2026-12-20)' }).execute();
    await db.insertInto('citizen_departments').values({ jobcenter_id: '0999', citizen_id: elsewhere, department: 'Sygedagpenge', period: '[2026-11-01,)' }).execute();

    await runJobAt(ctx.app, 'joblog-nudges', now);
    const second = await runJobAt(ctx.app, 'joblog-nudges', now);
    expect(second).toEqual({ deadlines: 0, messages: 0 });

    for (const id of [active, absent, elsewhere, noGroup]) expect(await deadlinesOf(id)).toEqual([]);
    for (const id of [quiet, oldEntry, deletedEntry]) {
      const [deadline, ...more] = await deadlinesOf(id);
      expect(more).toEqual([]);
      expect(deadline).toMatchObject({ iso_week: '2026-W49', status: 'open', jobcenter_id: '0999' });
      expect(deadline?.deadline.toISOString()).toBe(local('2026-12-04T10:00').toISOString());
      const rows = await outboxOf(db, `joblog-deadline:${deadline?.id}`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ kind: 'joblog_nudge', version: '2026-W49', citizen_id: id, status: 'pending' });
      expect(rows[0]?.due_at.toISOString()).toBe(now.toISOString());
      expect(rows[0]?.expires_at?.toISOString()).toBe(local('2026-12-04T10:00').toISOString());
    }

    // Later the same week, and on Monday (a new ISO week but within 7 days): nothing new.
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-04T10:00'));
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-07T10:00'));
    expect(await deadlinesOf(quiet)).toHaveLength(1);
    // A week on, still nothing in the Joblog: the next deadline, week 50.
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-09T10:00'));
    expect((await deadlinesOf(quiet)).map((d) => d.iso_week)).toEqual(['2026-W49', '2026-W50']);
  });

  it('three instances at once create each deadline and message once', async () => {
    const citizen = await newCitizen();
    await inTargetGroup(citizen);
    await Promise.all([1, 2, 3].map(() => runJobAt(ctx.app, 'joblog-nudges', local('2026-12-16T10:00'))));
    const deadlines = await deadlinesOf(citizen);
    expect(deadlines).toHaveLength(1);
    expect(await outboxOf(ctx.app.db, `joblog-deadline:${deadlines[0]?.id}`)).toHaveLength(1);
  });

  it('creates nothing in quiet hours, when the SMS could not go out at once', async () => {
    const citizen = await newCitizen();
    await inTargetGroup(citizen);
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-22T21:30'));
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-23T03:00'));
    expect(await deadlinesOf(citizen)).toEqual([]);
    await runJobAt(ctx.app, 'joblog-nudges', local('2026-12-23T10:00'));
    expect(await deadlinesOf(citizen)).toHaveLength(1);
  });

  it('ISO weeks across the year end', () => {
    expect(isoWeekOf(local('2026-12-31T12:00'))).toBe('2026-W53');
    expect(isoWeekOf(local('2027-01-03T23:30'))).toBe('2026-W53');
    expect(isoWeekOf(local('2027-01-04T00:30'))).toBe('2027-W01');
  });
});

describe('schedules', () => {
  it('every job has a valid schedule and a unique name', () => {
    for (const job of jobs) expect(cron.validate(job.schedule), job.name).toBe(true);
    expect(new Set(jobs.map((j) => j.name)).size).toBe(jobs.length);
  });

  it('the monthly rates slot is 03:00 on the 1st', () => {
    expect(MONTHLY_RATES_SCHEDULE).toBe('0 3 1 * *');
    const parsed = cron.parse(MONTHLY_RATES_SCHEDULE);
    expect(parsed.hour).toEqual([3]);
    expect(parsed.minute).toEqual([0]);
    expect(parsed.dayOfMonth).toEqual([1]);
  });

  it('no job that runs at chosen hours fires between 02:00 and 03:00 (skipped or doubled when the clocks change)', () => {
    // Jobs that run every hour or more often (every 10 minutes) are idempotent catch-ups: a skipped or
    // doubled run in that hour changes nothing. Every other job, and the rates slot, stays out of it.
    const schedules = [...jobs.map((j) => ({ name: j.name, schedule: j.schedule })), { name: 'monthly-rates', schedule: MONTHLY_RATES_SCHEDULE }];
    const atChosenHours = schedules.filter((s) => cron.parse(s.schedule).hour.length < 24);
    expect(atChosenHours.map((s) => s.name)).toEqual(expect.arrayContaining(['joblog-nudges', 'purge', 'monthly-rates']));
    for (const { name, schedule } of atChosenHours) expect(cron.parse(schedule).hour, name).not.toContain(2);

    // And the same checked on the two days the clocks change, minute by minute, through node-cron itself.
    const localHour = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Copenhagen' });
    for (const day of ['2026-03-29', '2026-10-25']) {
      for (const { name, schedule } of atChosenHours) {
        const task = cron.createTask(schedule, () => {}, { timezone: 'Europe/Copenhagen' });
        try {
          for (let minute = 0; minute < 24 * 60; minute++) {
            const instant = new Date(local(`${day}T00:00`).getTime() + minute * 60_000);
            if (Number(localHour.format(instant)) === 2) expect(task.match(instant), `${name} at ${instant.toISOString()}`).toBe(false);
          }
        } finally {
          void task.destroy();
        }
      }
    }
  });
});

describe('the SQL due time', () => {
  it('sms_latest_allowed_before agrees with latestAllowedBefore for a nudge due in the evening', async () => {
    const t = local('2026-12-08T23:59');
    const { rows } = await sql<{ at: Date }>`SELECT sms_latest_allowed_before(${t}::timestamptz, '21:00', '08:00') AS at`.execute(ctx.app.db);
    expect(rows[0]?.at.toISOString()).toBe(latestAllowedBefore(t).toISOString());
  });
});
