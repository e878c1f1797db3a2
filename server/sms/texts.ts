import { DateTime } from 'luxon';
import type { Language, MeetingMode } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { ZONE } from '../time.ts';
import type { MessageKind } from './outbox.ts';

/**
 * The words of each SMS, in the citizen's language (views/locales/<language>/sms.json), rendered by the
 * sender at the moment of sending from the subject's current state (server/sms/sender.ts).
 *
 * Plain language, one thing per message, and a link to the portal that opens its ordinary log-in page:
 * no token, no id that logs anyone in, nothing personal in the URL. Dates and times are Copenhagen
 * time ("torsdag 12. november kl. 10.00"); no year, as every message is about the coming weeks.
 *
 * Every common message stays within two SMS in GSM-7 (test/sms-texts.test.ts counts them with
 * realistic long values): the templates use only GSM-7 characters (æ, ø and å are GSM-7), and the
 * values from the database (places, the jobcenter's name) have typographic dashes and quotes replaced
 * by their plain forms, since one character outside GSM-7 would make the whole text UCS-2 (70
 * characters per SMS instead of 160).
 */

export interface SmsJobcenter {
  /** The jobcenter's display name ("Jobcenter Søby"). */
  name: string;
  /** The phone number citizens call, as the jobcenter wrote it ("+45 7010 2030"). */
  phone: string;
  /** The jobcenter's address: the place of a meeting in person whose time has no place of its own. */
  address: string;
}

export type SmsContent =
  | { kind: 'meeting_booked' | 'meeting_moved' | 'meeting_reminder'; startsAt: Date; mode: MeetingMode; place: string }
  | { kind: 'meeting_cancelled'; startsAt: Date }
  | { kind: 'booking_nudge' | 'joblog_nudge'; deadline: Date }
  | { kind: 'course_enrolled'; startsAt: Date; endsAt: Date; place: string }
  | { kind: 'meeting_rating' };

export interface SmsRenderContext {
  language: Language;
  /** config.publicUrl, without a trailing slash. */
  publicUrl: string;
  jobcenter: SmsJobcenter;
}

/** Where each message's link goes: pages behind the ordinary log-in. */
const LINK_PATHS: Record<MessageKind, string> = {
  meeting_booked: '/',
  meeting_moved: '/',
  meeting_cancelled: '/',
  meeting_reminder: '/',
  booking_nudge: '/',
  joblog_nudge: '/joblog',
  course_enrolled: '/',
  // The rating landing page: it opens the newest samtale the citizen has not rated (server/ratings/routes.ts).
  meeting_rating: '/vurdering',
};

const LOCALES: Record<Language, string> = { da: 'da-DK', en: 'en-GB' };

/** Typographic characters outside GSM-7 that a place or a name often holds, and their plain forms. */
const PLAIN: Array<[RegExp, string]> = [
  [/[\u2010-\u2015\u2212]/g, '-'],
  [/[\u2018\u2019\u201A\u201B\u2032]/g, "'"],
  [/[\u201C\u201D\u201E\u201F\u2033]/g, '"'],
  [/\u2026/g, '...'],
  [/[\u00A0\u2000-\u200A\u202F\u205F\u3000]/g, ' '],
  [/[\u200B-\u200D\u2060\uFEFF]/g, ''],
];

/** A value from the database made GSM-7 friendly where that loses nothing, on one line. */
export function plain(value: string): string {
  let text = value;
  for (const [pattern, replacement] of PLAIN) text = text.replace(pattern, replacement);
  return text.replace(/\s+/g, ' ').trim();
}

function local(instant: Date, language: Language): DateTime {
  return DateTime.fromJSDate(instant, { zone: ZONE }).setLocale(LOCALES[language]);
}

/** "torsdag 12. november" / "Thursday 12 November" */
export function smsDate(instant: Date, language: Language): string {
  return local(instant, language).toFormat(language === 'da' ? 'cccc d. LLLL' : 'cccc d LLLL');
}

/** "10.00" / "10:00" */
export function smsTime(instant: Date, language: Language): string {
  return local(instant, language).toFormat(language === 'da' ? 'HH.mm' : 'HH:mm');
}

/** "torsdag 12. november kl. 10.00" / "Thursday 12 November at 10:00" */
export function smsWhen(instant: Date, language: Language): string {
  return translate(language, 'sms.when', { date: smsDate(instant, language), time: smsTime(instant, language) });
}

function where(language: Language, mode: MeetingMode, place: string, jobcenter: SmsJobcenter): string {
  if (mode !== 'in_person') return translate(language, `sms.where.${mode}`);
  const shown = plain(place) || plain(jobcenter.address);
  return shown ? translate(language, 'sms.where.in_person', { place: shown }) : '';
}

/** The text of one SMS. */
export function renderSms(content: SmsContent, context: SmsRenderContext): string {
  const { language, jobcenter } = context;
  const values: Record<string, string> = {
    jobcenter: plain(jobcenter.name),
    phone: plain(jobcenter.phone),
    url: `${context.publicUrl.replace(/\/+$/, '')}${LINK_PATHS[content.kind]}`,
  };
  switch (content.kind) {
    case 'meeting_booked':
    case 'meeting_moved':
    case 'meeting_reminder':
      values.when = smsWhen(content.startsAt, language);
      values.where = where(language, content.mode, content.place, jobcenter);
      break;
    case 'meeting_cancelled':
      values.when = smsWhen(content.startsAt, language);
      break;
    case 'booking_nudge':
    case 'joblog_nudge':
      values.deadline = smsWhen(content.deadline, language);
      break;
    case 'course_enrolled':
      values.when = translate(language, 'sms.timeSpan', {
        date: smsDate(content.startsAt, language),
        start: smsTime(content.startsAt, language),
        end: smsTime(content.endsAt, language),
      });
      values.place = plain(content.place) || plain(jobcenter.address);
      break;
    case 'meeting_rating':
      break;
  }
  return translate(language, `sms.texts.${content.kind}`, values).replace(/ {2,}/g, ' ').trim();
}
