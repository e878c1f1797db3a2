import { sql } from 'kysely';
import type { DateTime } from 'luxon';
import type { DemoContext, DemoSeeder } from '../demo/seed.ts';
import type { DbOrTrx, Language, MeetingMode, OutboxStatus } from '../db/types.ts';
import { DEMO_CITIZENS, DEMO_JOBCENTER } from '../demo/data.ts';
import { earliestAllowedFrom, latestAllowedBefore } from './quiet-hours.ts';
import { renderSms, type SmsContent } from './texts.ts';

/**
 * The SMS demo: something on "Beskeder", on the staff's view of what was sent, and on the phone list.
 *
 *  - borger02-05 (Team Nord): the confirmation and the reminder of their latest samtale (delivered;
 *    borger04's reminder sent with no report yet, borger05's undeliverable by the provider), and for
 *    borger02 the booking nudge for their open window, pending until 48 hours before its deadline.
 *    borger01 gets none: test/mydata.test.ts counts borger01's messages exactly.
 *  - The phone list of Team Syd: borger35 and borger40 have a window whose deadline is tomorrow with
 *    nothing booked (borger35 got the nudge; borger40 has no mobile number, so theirs was
 *    undeliverable); borger37 missed a deadline three days ago (overdue) and jk03 called them yesterday
 *    without reaching them; borger36 declined SMS, so the reminder of today's samtale could not go out.
 *  - Team Nord: borger19 (jk01's) declined SMS too. (Team Nord's windows are the booking demo's, one
 *    open window each, which test/booking-caseworker.test.ts holds.)
 *
 * Messages carry the subject, kind and version the jobs would have given them (server/sms/outbox.ts),
 * so a running demo's jobs find them made and do not make them again.
 */

const SENT_BY = 'log';

interface Person {
  id: string;
  phone: string | null;
  language: Language;
}

function person(context: DemoContext, username: string): Person | undefined {
  const id = context.citizenIds[username];
  const citizen = DEMO_CITIZENS.find((c) => c.username === username);
  return id && citizen ? { id, phone: citizen.phone, language: citizen.language } : undefined;
}

const publicUrl = () => (process.env.PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? '3000'}`).replace(/\/$/, '');
const jobcenter = { name: DEMO_JOBCENTER.name, phone: DEMO_JOBCENTER.phone, address: DEMO_JOBCENTER.address };
const plus = (instant: Date, seconds: number) => new Date(instant.getTime() + seconds * 1000);

interface Message {
  who: Person;
  subject: string;
  kind: SmsContent['kind'];
  version: string;
  content: SmsContent;
  /** When it went out (or would have). */
  at: Date;
  status: OutboxStatus;
  lastError?: string;
  reportStatus?: string;
  expiresAt?: Date;
}

async function insertMessages(trx: DbOrTrx, jobcenterId: string, messages: Message[]): Promise<void> {
  if (messages.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      messages.map((m) => {
        const sent = m.status === 'sent' || m.status === 'delivered' || (m.status === 'undeliverable' && m.reportStatus !== undefined);
        const reportAt = m.reportStatus ? plus(m.at, 45) : null;
        return {
          jobcenter_id: jobcenterId,
          citizen_id: m.who.id,
          subject: m.subject,
          kind: m.kind,
          version: m.version,
          status: m.status,
          due_at: m.at,
          expires_at: m.expiresAt ?? null,
          attempts: m.status === 'pending' ? 0 : 1,
          created_at: plus(m.at, -3600),
          updated_at: reportAt ?? m.at,
          last_error: m.lastError ?? null,
          ...(sent
            ? {
                sent_at: m.at,
                provider: SENT_BY,
                provider_message_id: `demo-${m.subject}-${m.kind}`,
                recipient: m.who.phone,
                body: renderSms(m.content, { language: m.who.language, publicUrl: publicUrl(), jobcenter }),
                report_status: m.reportStatus ?? null,
                report_at: reportAt,
              }
            : {}),
        };
      }),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
}

interface MeetingFacts {
  id: string;
  citizen_id: string;
  starts_at: Date;
  booked_at: Date;
  sequence: number;
  mode: MeetingMode;
  place: string;
}

/** Each citizen's latest samtale that has been (held or no-show), or their first one still to come. */
async function meetingsOf(trx: DbOrTrx, citizenIds: string[], now: Date, which: 'latest-past' | 'next'): Promise<Map<string, MeetingFacts>> {
  if (citizenIds.length === 0) return new Map();
  const { rows } = await sql<MeetingFacts>`
    SELECT DISTINCT ON (m.citizen_id) m.id, m.citizen_id, m.starts_at, m.booked_at, m.sequence, m.mode, m.place
    FROM meetings m
    WHERE m.citizen_id = ANY(${citizenIds}::uuid[])
      AND ${which === 'latest-past' ? sql`m.status IN ('held', 'no_show') AND m.starts_at < ${now}::timestamptz` : sql`m.status = 'booked' AND m.starts_at >= ${now}::timestamptz`}
    ORDER BY m.citizen_id, ${which === 'latest-past' ? sql`m.starts_at DESC` : sql`m.starts_at`}`.execute(trx);
  return new Map(rows.map((row) => [row.citizen_id, row]));
}

async function insertWindow(
  trx: DbOrTrx,
  context: DemoContext,
  who: Person,
  window: { earliest: DateTime; latest: DateTime; deadline: Date; status: 'open' | 'overdue'; createdBy: string | undefined; createdAt: Date },
): Promise<{ id: string; deadline: Date }> {
  return trx
    .insertInto('booking_windows')
    .values({
      jobcenter_id: context.jobcenterId,
      citizen_id: who.id,
      earliest_date: window.earliest.toISODate() as string,
      latest_date: window.latest.toISODate() as string,
      deadline: window.deadline,
      status: window.status,
      created_by: window.createdBy ?? null,
      created_at: window.createdAt,
    })
    .returning(['id', 'deadline'])
    .executeTakeFirstOrThrow();
}

/** The booking nudge the job makes for a window: due 48 hours before its deadline, never in quiet hours. */
function nudge(who: Person, window: { id: string; deadline: Date }, status: OutboxStatus, extra: Partial<Message> = {}): Message {
  return {
    who,
    subject: `window:${window.id}`,
    kind: 'booking_nudge',
    version: window.deadline.toISOString(),
    content: { kind: 'booking_nudge', deadline: window.deadline },
    at: latestAllowedBefore(new Date(window.deadline.getTime() - 48 * 3_600_000)),
    status,
    expiresAt: window.deadline,
    ...extra,
  };
}

export const seedSmsDemo: DemoSeeder = async (trx, context) => {
  const { today, jobcenterId, staffIds } = context;
  const now = today.toJSDate();
  const atDay = (days: number, hour: number, minute = 0) => today.plus({ days }).set({ hour, minute }).toJSDate();
  const messages: Message[] = [];

  // borger02-05: their latest samtale's confirmation and reminder.
  const nord = ['borger02', 'borger03', 'borger04', 'borger05'].map((u) => person(context, u)).filter((p): p is Person => p !== undefined);
  const past = await meetingsOf(trx, nord.map((p) => p.id), now, 'latest-past');
  const reminderStatus: OutboxStatus[] = ['delivered', 'delivered', 'sent', 'undeliverable'];
  nord.forEach((who, index) => {
    const meeting = past.get(who.id);
    if (!meeting) return;
    const content = { startsAt: meeting.starts_at, mode: meeting.mode, place: meeting.place };
    const common = { who, subject: `meeting:${meeting.id}`, version: String(meeting.sequence), expiresAt: meeting.starts_at };
    const confirmedAt = earliestAllowedFrom(plus(meeting.booked_at, 30));
    messages.push({ ...common, kind: 'meeting_booked', content: { kind: 'meeting_booked', ...content }, at: confirmedAt, status: 'delivered', reportStatus: 'DELIVERED' });
    const reminderAt = earliestAllowedFrom(new Date(meeting.starts_at.getTime() - 48 * 3_600_000));
    if (reminderAt.getTime() > confirmedAt.getTime() + 3_600_000) {
      const status = reminderStatus[index] ?? 'delivered';
      messages.push({
        ...common,
        kind: 'meeting_reminder',
        content: { kind: 'meeting_reminder', ...content },
        at: reminderAt,
        status,
        ...(status === 'delivered' ? { reportStatus: 'DELIVERED' } : status === 'undeliverable' ? { reportStatus: 'EXPIRED' } : {}),
      });
    }
  });
  // borger02's open window (server/booking/demo.ts): its nudge, waiting for its time.
  const borger02 = person(context, 'borger02');
  if (borger02) {
    const open = await trx
      .selectFrom('booking_windows')
      .select(['id', 'deadline'])
      .where('citizen_id', '=', borger02.id)
      .where('status', '=', 'open')
      .where('deadline', '>', plus(now, 72 * 3600))
      .orderBy('deadline')
      .executeTakeFirst();
    if (open) messages.push(nudge(borger02, open, 'pending'));
  }

  // Team Syd's phone list.
  const dueWindow = { earliest: today.plus({ days: 1 }), latest: today.plus({ days: 14 }), deadline: atDay(1, 23, 59), status: 'open' as const, createdAt: atDay(-5, 10) };
  const borger35 = person(context, 'borger35');
  if (borger35) {
    const window = await insertWindow(trx, context, borger35, { ...dueWindow, createdBy: staffIds.jk03 });
    messages.push(nudge(borger35, window, 'delivered', { reportStatus: 'DELIVERED' }));
  }
  const borger40 = person(context, 'borger40');
  if (borger40) {
    const window = await insertWindow(trx, context, borger40, { ...dueWindow, createdBy: staffIds.jk04 });
    messages.push(nudge(borger40, window, 'undeliverable', { lastError: 'no-mobile' }));
  }
  const borger37 = person(context, 'borger37');
  if (borger37) {
    const window = await insertWindow(trx, context, borger37, {
      earliest: today.minus({ days: 10 }),
      latest: today.plus({ days: 4 }),
      deadline: atDay(-3, 23, 59),
      status: 'overdue',
      createdBy: staffIds.jk03,
      createdAt: atDay(-12, 11),
    });
    messages.push(nudge(borger37, window, 'delivered', { reportStatus: 'DELIVERED' }));
    if (staffIds.jk03) {
      await trx
        .insertInto('phone_calls')
        .values({
          jobcenter_id: jobcenterId,
          citizen_id: borger37.id,
          window_id: window.id,
          outcome: 'not_reached',
          note: 'Tog ikke telefonen. Prøver igen i morgen formiddag.',
          called_by: staffIds.jk03,
          called_at: atDay(-1, 14, 10),
        })
        .execute();
    }
  }
  // Declined SMS: the reminder of today's samtale (server/caseworker/demo.ts) could not go out.
  for (const username of ['borger36', 'borger19']) {
    const who = person(context, username);
    if (!who) continue;
    await trx.updateTable('citizens').set({ sms_consent: false }).where('id', '=', who.id).execute();
    const next = (await meetingsOf(trx, [who.id], now, 'next')).get(who.id);
    if (!next) continue;
    messages.push({
      who,
      subject: `meeting:${next.id}`,
      kind: 'meeting_reminder',
      version: String(next.sequence),
      content: { kind: 'meeting_reminder', startsAt: next.starts_at, mode: next.mode, place: next.place },
      at: earliestAllowedFrom(new Date(Math.max(next.starts_at.getTime() - 48 * 3_600_000, next.booked_at.getTime()))),
      status: 'undeliverable',
      lastError: 'sms-declined',
      expiresAt: next.starts_at,
    });
  }

  // Only what had happened when "today" began, and the one pending.
  await insertMessages(trx, jobcenterId, messages.filter((m) => m.status === 'pending' || m.at.getTime() <= now.getTime()));
};
