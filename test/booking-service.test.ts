import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { bookMeeting, cancelMeeting, moveMeeting, type BookRequest } from '../server/booking/service.ts';
import type { Actor } from '../server/audit/audit.ts';
import { useTestApp } from './helper.ts';
import { clearBookingDemo, createSlot, createWindow, demoIds, local } from './support/booking.ts';

const ctx = useTestApp();
let ids: Record<string, string>;
const NOW = local('2026-11-23T12:00');
const citizenActor = (citizenId: string): Actor => ({ kind: 'citizen', id: citizenId, name: 'Borger', role: 'citizen', jobcenterId: '0999', requestId: 'test' });

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
  await clearBookingDemo(ctx.app.db);
});

function book(citizen: string, windowId: string | null, slotId: string, overrides: Partial<BookRequest> = {}) {
  const citizenId = ids[citizen] as string;
  return bookMeeting(ctx.app.db, {
    jobcenterId: '0999',
    citizenId,
    windowId,
    slotId,
    channel: 'web',
    actor: citizenActor(citizenId),
    now: NOW,
    ...overrides,
  });
}

describe('booking a meeting', () => {
  it('creates the meeting with its history row, confirmation message and audit row, in one go', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, ids.borger01 as string, '2026-11-30', '2026-12-11', local('2026-11-27T23:59'));
    const slot = await createSlot(db, ids.jk01 as string, local('2026-12-01T10:00'));
    const outcome = await book('borger01', window, slot);
    if (!outcome.ok) throw new Error(outcome.refusal);
    expect(outcome.meeting).toMatchObject({ status: 'booked', channel: 'web', sequence: 0, caseworker_id: ids.jk01 });
    expect(outcome.meeting.starts_at.toISOString()).toBe('2026-12-01T09:00:00.000Z');
    const history = await db.selectFrom('meeting_history').selectAll().where('meeting_id', '=', outcome.meeting.id).execute();
    expect(history).toMatchObject([{ action: 'booked', actor_kind: 'citizen', sequence: 0 }]);
    const outbox = await db.selectFrom('outbox').selectAll().where('subject', '=', `meeting:${outcome.meeting.id}`).execute();
    expect(outbox).toMatchObject([{ kind: 'meeting_booked', version: '0', status: 'pending' }]);
    const audit = await db.selectFrom('audit_log').selectAll().where('entity', '=', 'meeting').where('entity_id', '=', outcome.meeting.id).execute();
    expect(audit).toMatchObject([{ action: 'create', actor_kind: 'citizen', citizen_id: ids.borger01 }]);

    // The slot is taken now, and the window holds its one meeting.
    const other = await createWindow(db, ids.borger03 as string, '2026-11-30', '2026-12-11', local('2026-11-27T23:59'));
    expect(await book('borger03', other, slot)).toEqual({ ok: false, refusal: 'slot-taken' });
    const second = await createSlot(db, ids.jk01 as string, local('2026-12-02T10:00'));
    expect(await book('borger01', window, second)).toEqual({ ok: false, refusal: 'window-already-booked' });
  });

  it('refuses, saying which rule, and changes nothing', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, ids.borger05 as string, '2026-12-07', '2026-12-11', local('2026-12-04T23:59'));
    const inside = await createSlot(db, ids.jk02 as string, local('2026-12-08T09:00'));
    const before = await db.selectFrom('meetings').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

    // Another citizen's window.
    expect(await book('borger07', window, inside)).toEqual({ ok: false, refusal: 'not-found' });
    // Outside the window's dates.
    const outside = await createSlot(db, ids.jk02 as string, local('2026-12-14T09:00'));
    expect(await book('borger05', window, outside)).toEqual({ ok: false, refusal: 'outside-window' });
    // Another team's caseworker (jk03 is in Team Syd, borger05 in Team Nord).
    const otherTeam = await createSlot(db, ids.jk03 as string, local('2026-12-08T09:00'));
    expect(await book('borger05', window, otherTeam)).toEqual({ ok: false, refusal: 'not-your-team' });
    // Less than the minimum notice (2 hours) ahead, and in the past.
    const soonWindow = await createWindow(db, ids.borger09 as string, '2026-11-20', '2026-11-30', local('2026-11-29T23:59'));
    const soon = await createSlot(db, ids.jk01 as string, local('2026-11-23T13:00'));
    expect(await book('borger09', soonWindow, soon)).toEqual({ ok: false, refusal: 'too-soon' });
    const past = await createSlot(db, ids.jk01 as string, local('2026-11-23T09:00'));
    expect(await book('borger09', soonWindow, past)).toEqual({ ok: false, refusal: 'in-past' });
    // An unknown slot, a withdrawn slot.
    expect(await book('borger05', window, '00000000-0000-4000-8000-000000000000')).toEqual({ ok: false, refusal: 'not-found' });
    await db.updateTable('slots').set({ withdrawn_at: NOW }).where('id', '=', inside).execute();
    expect(await book('borger05', window, inside)).toEqual({ ok: false, refusal: 'not-found' });

    const after = await db.selectFrom('meetings').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('closes at the deadline for the citizen, but lets the caseworker book for them', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, ids.borger11 as string, '2026-11-30', '2026-12-11', local('2026-11-22T23:59'));
    const slot = await createSlot(db, ids.jk01 as string, local('2026-12-03T11:00'));
    expect(await book('borger11', window, slot)).toEqual({ ok: false, refusal: 'window-closed' });
    const staff: Actor = { kind: 'staff', id: ids.jk01 as string, name: 'Mette Holm', role: 'caseworker', jobcenterId: '0999', requestId: 'test' };
    const outcome = await book('borger11', window, slot, { channel: 'caseworker', actor: staff });
    expect(outcome).toMatchObject({ ok: true, meeting: { channel: 'caseworker' } });
  });
});

describe('moving and cancelling', () => {
  it('moves by updating the same row: sequence + 1, history, old messages cancelled, new one created', async () => {
    const db = ctx.app.db;
    const citizenId = ids.borger13 as string;
    const window = await createWindow(db, citizenId, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    const first = await createSlot(db, ids.jk01 as string, local('2026-12-15T09:00'));
    const second = await createSlot(db, ids.jk02 as string, local('2026-12-16T13:30'));
    const booked = await book('borger13', window, first);
    if (!booked.ok) throw new Error(booked.refusal);
    const change = { jobcenterId: '0999', meetingId: booked.meeting.id, citizenId, enforceNotice: true, actor: citizenActor(citizenId), now: NOW };

    const moved = await moveMeeting(db, { ...change, slotId: second, channel: 'web' });
    if (!moved.ok) throw new Error(moved.refusal);
    expect(moved.meeting.id).toBe(booked.meeting.id);
    expect(moved.meeting).toMatchObject({ sequence: 1, slot_id: second, caseworker_id: ids.jk02 });
    const messages = await db
      .selectFrom('outbox')
      .select(['kind', 'version', 'status'])
      .where('subject', '=', `meeting:${booked.meeting.id}`)
      .orderBy('id')
      .execute();
    expect(messages).toEqual([
      { kind: 'meeting_booked', version: '0', status: 'cancelled' },
      { kind: 'meeting_moved', version: '1', status: 'pending' },
    ]);
    const history = await db.selectFrom('meeting_history').select(['action', 'sequence']).where('meeting_id', '=', booked.meeting.id).orderBy('id').execute();
    expect(history).toEqual([
      { action: 'booked', sequence: 0 },
      { action: 'moved', sequence: 1 },
    ]);
    // The old slot is free again.
    const other = await createWindow(db, ids.borger15 as string, '2026-12-14', '2026-12-18', local('2026-12-11T23:59'));
    expect((await book('borger15', other, first)).ok).toBe(true);

    // A move to a taken slot leaves the meeting exactly as it was.
    const taken = await moveMeeting(db, { ...change, slotId: first, channel: 'web' });
    expect(taken).toEqual({ ok: false, refusal: 'slot-taken' });
    const unchanged = await db.selectFrom('meetings').selectAll().where('id', '=', booked.meeting.id).executeTakeFirstOrThrow();
    expect(unchanged).toMatchObject({ sequence: 1, slot_id: second, status: 'booked' });

    const cancelled = await cancelMeeting(db, change);
    expect(cancelled).toMatchObject({ ok: true, meeting: { status: 'cancelled', sequence: 2 } });
    expect(await cancelMeeting(db, change)).toEqual({ ok: false, refusal: 'not-found' });
  });

  it("refuses a move or cancellation after the jobcenter's notice, and another citizen's meeting", async () => {
    const db = ctx.app.db;
    const citizenId = ids.borger17 as string;
    const window = await createWindow(db, citizenId, '2026-11-20', '2026-11-30', local('2026-11-29T23:59'));
    const tomorrow = await createSlot(db, ids.jk01 as string, local('2026-11-24T10:00'));
    const later = await createSlot(db, ids.jk01 as string, local('2026-11-26T10:00'));
    const booked = await book('borger17', window, tomorrow);
    if (!booked.ok) throw new Error(booked.refusal);
    const change = { jobcenterId: '0999', meetingId: booked.meeting.id, citizenId, enforceNotice: true, actor: citizenActor(citizenId), now: NOW };
    expect(await moveMeeting(db, { ...change, slotId: later, channel: 'web' })).toEqual({ ok: false, refusal: 'too-late' });
    expect(await cancelMeeting(db, change)).toEqual({ ok: false, refusal: 'too-late' });
    const stranger = { ...change, citizenId: ids.borger19 as string };
    expect(await moveMeeting(db, { ...stranger, slotId: later, channel: 'web' })).toEqual({ ok: false, refusal: 'not-found' });
    expect(await cancelMeeting(db, stranger)).toEqual({ ok: false, refusal: 'not-found' });
  });
});

describe('the database refuses a double booking past the code', () => {
  it('for a slot, a window, a caseworker and a citizen', async () => {
    const db = ctx.app.db;
    const a = ids.borger02 as string;
    const b = ids.borger04 as string;
    const cw = ids.jk02 as string;
    const slot = await createSlot(db, cw, local('2026-12-21T09:00'));
    const window = await createWindow(db, a, '2026-12-21', '2026-12-23', local('2026-12-18T23:59'));
    const base = {
      jobcenter_id: '0999',
      caseworker_id: cw,
      starts_at: local('2026-12-21T09:00'),
      ends_at: local('2026-12-21T09:30'),
      mode: 'in_person' as const,
      channel: 'web' as const,
      booked_by_kind: 'citizen' as const,
    };
    await db.insertInto('meetings').values({ ...base, citizen_id: a, slot_id: slot, window_id: window }).execute();
    const insert = (values: Partial<typeof base> & { citizen_id: string; slot_id?: string | null; window_id?: string | null }) =>
      db.insertInto('meetings').values({ ...base, ...values }).execute();
    // Same slot, another citizen.
    await expect(insert({ citizen_id: b, slot_id: slot, caseworker_id: ids.jk01 as string })).rejects.toMatchObject({ constraint: 'meetings_one_per_slot' });
    // Same window, another time.
    await expect(
      insert({ citizen_id: a, window_id: window, starts_at: local('2026-12-22T09:00'), ends_at: local('2026-12-22T09:30') }),
    ).rejects.toMatchObject({ constraint: 'meetings_one_per_window' });
    // Same caseworker, overlapping time, no slot.
    await expect(insert({ citizen_id: b, starts_at: local('2026-12-21T09:15'), ends_at: local('2026-12-21T09:45') })).rejects.toMatchObject({
      constraint: 'meetings_no_caseworker_overlap',
    });
    // Same citizen, overlapping time with another caseworker.
    await expect(insert({ citizen_id: a, caseworker_id: ids.jk01 as string })).rejects.toMatchObject({ constraint: 'meetings_no_citizen_overlap' });
    // A cancelled meeting frees everything.
    await sql`UPDATE meetings SET status = 'cancelled', cancelled_at = now() WHERE slot_id = ${slot}`.execute(db);
    await insert({ citizen_id: b, slot_id: slot });
    // History is append-only.
    await expect(sql`UPDATE meeting_history SET action = 'held'`.execute(db)).rejects.toThrow(/append-only/);
  });
});

describe('free times for a window', () => {
  it("lists the team's free times inside the window, own caseworker's first, none taken or too soon", async () => {
    const { freeSlotsForWindow } = await import('../server/booking/queries.ts');
    const db = ctx.app.db;
    const citizenId = ids.borger21 as string; // Team Syd, own caseworker jk03
    const window = { earliest_date: '2027-01-11', latest_date: '2027-01-12' };
    const own = await createSlot(db, ids.jk03 as string, local('2027-01-12T09:00'));
    const colleague = await createSlot(db, ids.jk04 as string, local('2027-01-11T09:00'));
    await createSlot(db, ids.jk01 as string, local('2027-01-11T10:00')); // Team Nord: not offered
    await createSlot(db, ids.jk03 as string, local('2027-01-13T09:00')); // after the window
    const taken = await createSlot(db, ids.jk04 as string, local('2027-01-11T11:00'));
    const windowId = await createWindow(db, ids.borger23 as string, '2027-01-11', '2027-01-12', local('2027-01-08T23:59'));
    expect((await book('borger23', windowId, taken)).ok).toBe(true);
    const free = await freeSlotsForWindow(db, '0999', citizenId, window, NOW);
    expect(free.map((s) => [s.id, s.own_caseworker, s.day])).toEqual([
      [own, true, '2027-01-12'],
      [colleague, false, '2027-01-11'],
    ]);
    expect(await freeSlotsForWindow(db, '0999', citizenId, window, NOW, { day: '2027-01-11' })).toHaveLength(1);
  });
});

describe('inside a caller transaction', () => {
  it('answers a lost race with a refusal and leaves the transaction usable', async () => {
    const db = ctx.app.db;
    const slot = await createSlot(db, ids.jk02 as string, local('2027-02-01T10:00'));
    const w1 = await createWindow(db, ids.borger06 as string, '2027-02-01', '2027-02-05', local('2027-01-29T23:59'));
    const w2 = await createWindow(db, ids.borger08 as string, '2027-02-01', '2027-02-05', local('2027-01-29T23:59'));
    expect((await book('borger06', w1, slot)).ok).toBe(true);
    const outcome = await db.transaction().execute(async (trx) => {
      // Past the code's own check: the constraint must answer, inside this transaction.
      await trx.updateTable('meetings').set({ window_id: null }).where('slot_id', '=', slot).execute();
      const result = await bookMeeting(trx, {
        jobcenterId: '0999',
        citizenId: ids.borger08 as string,
        windowId: w2,
        slotId: slot,
        channel: 'web',
        actor: citizenActor(ids.borger08 as string),
        now: NOW,
      });
      // Still usable after the refusal.
      await trx.selectFrom('meetings').select('id').limit(1).execute();
      return result;
    });
    expect(outcome).toEqual({ ok: false, refusal: 'slot-taken' });
  });
});
