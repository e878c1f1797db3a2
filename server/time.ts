import { DateTime } from 'luxon';
import type { Language } from './db/types.ts';

/** Every date and time a person sees, and every calendar rule, is in Copenhagen time. */
export const ZONE = 'Europe/Copenhagen';

/** The one source of "now", so tests and jobs can run at any moment they choose. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

const locales: Record<Language, string> = { da: 'da-DK', en: 'en-GB' };

export function inCopenhagen(instant: Date): DateTime {
  return DateTime.fromJSDate(instant, { zone: ZONE });
}

/** "tirsdag den 1. december 2026" / "Tuesday 1 December 2026" */
export function formatDate(instant: Date | string, language: Language): string {
  const dt = typeof instant === 'string' ? DateTime.fromISO(instant, { zone: ZONE }) : inCopenhagen(instant);
  const local = dt.setLocale(locales[language]);
  return language === 'da' ? local.toFormat("cccc 'den' d. LLLL yyyy") : local.toFormat('cccc d LLLL yyyy');
}

/** "kl. 10.00" / "10:00" */
export function formatTime(instant: Date, language: Language): string {
  const dt = inCopenhagen(instant);
  return language === 'da' ? `kl. ${dt.toFormat('HH.mm')}` : dt.toFormat('HH:mm');
}

export function formatDateTime(instant: Date, language: Language): string {
  return `${formatDate(instant, language)} ${formatTime(instant, language)}`;
}

/** Today's calendar date in Copenhagen, as YYYY-MM-DD. */
export function todayInCopenhagen(clock: Clock = systemClock): string {
  return inCopenhagen(clock.now()).toISODate() as string;
}
