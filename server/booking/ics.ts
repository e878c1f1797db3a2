import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { DbOrTrx, Language, MeetingMode, MeetingStatus } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { inCopenhagen } from '../time.ts';

/** What a calendar entry for one meeting says. */
export interface CalendarFacts {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  status: MeetingStatus;
  sequence: number;
  caseworker_name: string;
  /** The citizen's own language (citizens.language). */
  language: Language;
  jobcenter_name: string;
  jobcenter_phone: string;
  move_notice_hours: number;
}

/** One of the citizen's meetings with what its calendar entry needs; undefined for anyone else's. */
export async function calendarFacts(
  db: DbOrTrx,
  jobcenterId: string,
  citizenId: string,
  meetingId: string,
): Promise<CalendarFacts | undefined> {
  return db
    .selectFrom('meetings as m')
    .innerJoin('staff as st', (j) => j.onRef('st.id', '=', 'm.caseworker_id').onRef('st.jobcenter_id', '=', 'm.jobcenter_id'))
    .innerJoin('citizens as c', (j) => j.onRef('c.id', '=', 'm.citizen_id').onRef('c.jobcenter_id', '=', 'm.jobcenter_id'))
    .innerJoin('jobcenter_settings as js', 'js.jobcenter_id', 'm.jobcenter_id')
    .select([
      'm.id',
      'm.starts_at',
      'm.ends_at',
      'm.mode',
      'm.place',
      'm.status',
      'm.sequence',
      'st.name as caseworker_name',
      'c.language',
      'js.display_name as jobcenter_name',
      'js.phone as jobcenter_phone',
      'js.move_notice_hours',
    ])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.citizen_id', '=', citizenId)
    .where('m.id', '=', meetingId)
    .executeTakeFirst();
}

/** The entry's UID: the meeting's id at the portal's host, the same for the meeting's whole life. */
export function calendarUid(meetingId: string, publicUrl: string): string {
  return `${meetingId}@${new URL(publicUrl).hostname}`;
}

/** A file name for the download, e.g. "samtale-2026-12-01.ics". */
export function calendarFileName(facts: Pick<CalendarFacts, 'starts_at'>, language: Language): string {
  return `${translate(language, 'calendar.fileName')}-${inCopenhagen(facts.starts_at).toISODate() ?? 'dato'}.ics`;
}

/**
 * The meeting as an iCalendar file (RFC 5545). The UID never changes, SEQUENCE is the meeting's
 * `sequence` (+ 1 on every move and on cancelling), so a calendar that imports the file again updates
 * the entry it has instead of adding one. Times are UTC ("Z"): every calendar shows them in its own
 * zone, right on both sides of the change to and from summer time. A cancelled meeting is a CANCEL.
 */
export function meetingCalendar(
  facts: CalendarFacts,
  options: { publicUrl: string; now: Date; language?: Language },
): string {
  const language = options.language ?? facts.language;
  const t = (key: string, values?: Record<string, unknown>) => translate(language, `calendar.${key}`, values);
  const cancelled = facts.status === 'cancelled';
  const modeName = t(`mode.${facts.mode}`);
  const location = facts.mode === 'in_person' ? facts.place || facts.jobcenter_name : [modeName, facts.place].filter(Boolean).join(', ');
  const lines = cancelled
    ? [t('description.cancelled'), t('description.intro', { caseworker: facts.caseworker_name, jobcenter: facts.jobcenter_name })]
    : [
        t('description.intro', { caseworker: facts.caseworker_name, jobcenter: facts.jobcenter_name }),
        facts.mode === 'in_person'
          ? t('description.in_person', { place: location })
          : facts.mode === 'phone'
            ? t('description.phone', { caseworker: facts.caseworker_name })
            : t('description.video'),
        t('description.change', { url: options.publicUrl, hours: facts.move_notice_hours, phone: facts.jobcenter_phone }),
      ];

  const calendar = ical({
    prodId: { company: 'Jobcenter', product: 'Selvbooking', language: language.toUpperCase() },
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.PUBLISH,
    name: t('name'),
  });
  calendar.createEvent({
    id: calendarUid(facts.id, options.publicUrl),
    sequence: facts.sequence,
    stamp: options.now,
    start: facts.starts_at,
    end: facts.ends_at,
    summary: cancelled ? t('cancelledSummary') : t('summary'),
    location,
    description: lines.join('\n'),
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  return `${calendar.toString()}\r\n`;
}
