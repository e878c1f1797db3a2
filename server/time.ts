import { readFileSync, statSync } from 'node:fs';
import { DateTime } from 'luxon';
import type { Language } from './db/types.ts';

/** Every date and time a person sees, and every calendar rule, is in Copenhagen time. */
export const ZONE = 'Europe/Copenhagen';

/** The one source of "now", so tests and jobs can run at any moment they choose. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A clock read from a file that holds one ISO instant with its offset (`2027-01-12T08:00:00+01:00`):
 * now() is that instant until the file changes. For tests only (TEST_CLOCK_FILE, refused in
 * production): several processes reading one file share one clock, so a test can move a whole cluster
 * through a simulated day. The file is read again when its inode, modification time or size changes;
 * write it atomically (a new file renamed over it). A missing or unreadable file throws.
 */
export function fileClock(file: string): Clock {
  let seen = '';
  let instant = 0;
  return {
    now() {
      let stamp: string;
      let text: string;
      try {
        const stat = statSync(file, { bigint: true });
        stamp = `${stat.ino}:${stat.mtimeNs}:${stat.size}`;
        if (stamp === seen) return new Date(instant);
        text = readFileSync(file, 'utf8').trim();
      } catch (error) {
        throw new Error(`the clock file ${file} cannot be read (${(error as { code?: string }).code ?? 'error'})`, { cause: error });
      }
      const read = Date.parse(text);
      if (!ISO_INSTANT.test(text) || Number.isNaN(read)) {
        throw new Error(`the clock file ${file} must hold one ISO instant with its offset, such as 2027-01-12T08:00:00+01:00`);
      }
      seen = stamp;
      instant = read;
      return new Date(instant);
    },
  };
}

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
