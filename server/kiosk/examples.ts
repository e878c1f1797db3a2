import type { FastifyInstance } from 'fastify';
import { DateTime } from 'luxon';
import type { Actor } from '../audit/audit.ts';
import { citizenWindows, freeSlotsForWindow, upcomingMeetings } from '../booking/queries.ts';
import type { Db } from '../db/types.ts';
import { createEntry } from '../joblog/queries.ts';
import { ZONE, todayInCopenhagen } from '../time.ts';

/**
 * Who the browser checks (test/browser/a11y.test.ts) see the kiosk pages as, from the demo data: a
 * citizen with free times on several days, one with no booking window, one whose window has no free
 * time (made here, far ahead of any released time), one with a samtale booked, and a Joblog entry.
 */
export interface KioskExamples {
  bookUser: string;
  day: string;
  slotId: string;
  noWindowUser: string;
  noFreeTimeUser: string;
  bookedUser: string;
  meetingId: string;
  entryId: string;
}

const cache = new WeakMap<FastifyInstance, Promise<KioskExamples>>();

export function kioskExamples(app: FastifyInstance): Promise<KioskExamples> {
  let examples = cache.get(app);
  if (!examples) {
    examples = build(app.db, app.clock.now(), todayInCopenhagen(app.clock));
    cache.set(app, examples);
  }
  return examples;
}

interface DemoCitizen {
  username: string;
  id: string;
  jobcenterId: string;
  name: string;
}

async function build(db: Db, now: Date, today: string): Promise<KioskExamples> {
  // From the end of the demo list, clear of the citizens other pages' examples use (borger01-03).
  const citizens: DemoCitizen[] = (
    await db
      .selectFrom('demo_users as d')
      .innerJoin('citizens as c', 'c.id', 'd.citizen_id')
      .select(['d.username', 'c.id', 'c.jobcenter_id', 'c.name'])
      .orderBy('d.username', 'desc')
      .execute()
  ).map((r) => ({ username: r.username, id: r.id, jobcenterId: r.jobcenter_id, name: r.name }));

  let book: { citizen: DemoCitizen; day: string; slotId: string } | undefined;
  let booked: { citizen: DemoCitizen; meetingId: string } | undefined;
  const withoutWindow: DemoCitizen[] = [];
  for (const citizen of citizens) {
    const windows = await citizenWindows(db, citizen.jobcenterId, citizen.id, now);
    const open = windows.filter((w) => w.meeting_id === null && w.status === 'open' && w.deadline > now);
    const [next] = await upcomingMeetings(db, citizen.jobcenterId, citizen.id, now);
    if (open.length === 0 && next && !booked) booked = { citizen, meetingId: next.id };
    if (windows.length === 0 && !next) withoutWindow.push(citizen);
    if (!book && open.length === 1 && !next) {
      const slots = await freeSlotsForWindow(db, citizen.jobcenterId, citizen.id, open[0] as (typeof open)[number], now);
      const first = slots.slice().sort((a, b) => a.starts_at.getTime() - b.starts_at.getTime())[0];
      if (first && new Set(slots.map((s) => s.day)).size > 1) book = { citizen, day: first.day, slotId: first.id };
    }
  }
  const [noWindow, noFreeTime] = withoutWindow;
  if (!book || !booked || !noWindow || !noFreeTime) throw new Error('kiosk examples: the demo data lacks a citizen to show a kiosk page with');

  // A window far ahead, where nobody has released any time.
  const start = DateTime.fromISO(today, { zone: ZONE }).plus({ days: 300 });
  await db
    .insertInto('booking_windows')
    .values({
      jobcenter_id: noFreeTime.jobcenterId,
      citizen_id: noFreeTime.id,
      earliest_date: start.toISODate() as string,
      latest_date: start.plus({ days: 1 }).toISODate() as string,
      deadline: start.minus({ days: 1 }).set({ hour: 23, minute: 59 }).toJSDate(),
    })
    .execute();

  const c = book.citizen;
  const actor: Actor = { kind: 'citizen', id: c.id, name: c.name, role: 'citizen', jobcenterId: c.jobcenterId, requestId: null };
  const entry = await db.transaction().execute((trx) =>
    createEntry(
      trx,
      { jobcenterId: c.jobcenterId, citizenId: c.id },
      { employer: 'Bageriet Søby', job_title: 'Bagerlærling', town: '', applied_on: today, how: null, kind: 'ordinary', status: 'applied', link: null, note: '' },
      actor,
      now,
    ),
  );

  return {
    bookUser: c.username,
    day: book.day,
    slotId: book.slotId,
    noWindowUser: noWindow.username,
    noFreeTimeUser: noFreeTime.username,
    bookedUser: booked.citizen.username,
    meetingId: booked.meetingId,
    entryId: entry.id,
  };
}
