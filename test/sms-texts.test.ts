import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { Language } from '../server/db/types.ts';
import { MESSAGE_KINDS, type MessageKind } from '../server/sms/outbox.ts';
import { countSegments } from '../server/sms/segments.ts';
import { plain, renderSms, smsWhen, type SmsContent, type SmsRenderContext } from '../server/sms/texts.ts';
import { ZONE } from '../server/time.ts';

describe('SMS segments', () => {
  it('counts GSM-7: 160 characters in one SMS, 153 per part of a longer one, æøå included', () => {
    expect(countSegments('Hej. Din samtale på jobcentret er flyttet. ÆØÅ æøå é ü')).toEqual({ encoding: 'GSM-7', segments: 1, nonGsmCharacters: [] });
    expect(countSegments('a'.repeat(160)).segments).toBe(1);
    expect(countSegments('a'.repeat(161)).segments).toBe(2);
    expect(countSegments('ø'.repeat(306)).segments).toBe(2);
    expect(countSegments('å'.repeat(307)).segments).toBe(3);
  });

  it('counts a character of the extension table (€ [ ] { } ~ | ^ \\) as two', () => {
    expect(countSegments('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(countSegments('€'.repeat(81))).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    expect(countSegments(`${'a'.repeat(159)}[`).segments).toBe(2);
  });

  it('turns the whole text into UCS-2 (70 per SMS, 67 per part) for one character outside GSM-7', () => {
    expect(countSegments('Mødet kl. 10–11')).toEqual({ encoding: 'UCS-2', segments: 1, nonGsmCharacters: ['–'] });
    expect(countSegments('š'.repeat(70)).segments).toBe(1);
    expect(countSegments('š'.repeat(71)).segments).toBe(2);
    expect(countSegments('š'.repeat(134)).segments).toBe(2);
    expect(countSegments('š'.repeat(135)).segments).toBe(3);
  });
});

/** Realistic but long: a long municipality, a long address, a long PUBLIC_URL. */
const context = (language: Language): SmsRenderContext => ({
  language,
  publicUrl: 'https://selvbooking.ringkobing-skjern.dk',
  jobcenter: {
    name: 'Jobcenter Ringkøbing-Skjern',
    phone: '+45 9974 1500',
    address: 'Ved Fjorden 6, 6950 Ringkøbing',
  },
});
const LONG_PLACE = 'Jobcenter Ringkøbing-Skjern, mødelokale 3, 2. sal, Ved Fjorden 6, 6950 Ringkøbing';

function contentOf(kind: MessageKind, at: Date): SmsContent {
  switch (kind) {
    case 'meeting_booked':
    case 'meeting_moved':
    case 'meeting_reminder':
      return { kind, startsAt: at, mode: 'in_person', place: LONG_PLACE };
    case 'meeting_cancelled':
      return { kind, startsAt: at };
    case 'booking_nudge':
    case 'joblog_nudge':
      return { kind, deadline: at };
    case 'course_enrolled':
      return { kind, startsAt: at, endsAt: new Date(at.getTime() + 3 * 3600_000), place: LONG_PLACE };
    case 'meeting_rating':
      return { kind };
  }
}

/** Every day of a year at 23.59 (and so every weekday and every month name), the longest times. */
const EVERY_DAY = Array.from({ length: 366 }, (_, i) =>
  DateTime.fromISO('2026-01-01T23:59', { zone: ZONE }).plus({ days: i }).toJSDate(),
);

describe('SMS texts', () => {
  for (const language of ['da', 'en'] as const) {
    it(`keeps every kind in ${language} within 2 SMS in GSM-7, on every day of the year, with long values`, () => {
      for (const kind of MESSAGE_KINDS) {
        let longest = '';
        for (const day of EVERY_DAY) {
          const text = renderSms(contentOf(kind, day), context(language));
          if (text.length > longest.length) longest = text;
        }
        const count = countSegments(longest);
        expect(count.encoding, `${kind} (${language}): ${longest} has ${count.nonGsmCharacters.join(' ')}`).toBe('GSM-7');
        expect(count.segments, `${kind} (${language}): ${longest}`).toBeLessThanOrEqual(2);
        expect(longest).not.toMatch(/\{\w+\}/);
      }
    });
  }

  it('says in plain Danish what happens when the deadline passes, and links to the portal', () => {
    const deadline = DateTime.fromISO('2026-11-12T23:59', { zone: ZONE }).toJSDate();
    expect(renderSms({ kind: 'booking_nudge', deadline }, context('da'))).toBe(
      'Du skal booke din næste samtale med Jobcenter Ringkøbing-Skjern senest torsdag 12. november kl. 23.59. ' +
        'Ellers bliver du tilmeldt et kursus i Joblog og selvbooking i næste uge. Book her: https://selvbooking.ringkobing-skjern.dk/',
    );
    expect(renderSms({ kind: 'joblog_nudge', deadline }, context('en'))).toContain('by Thursday 12 November at 23:59');
    expect(renderSms({ kind: 'joblog_nudge', deadline }, context('da'))).toMatch(/Skriv dem her: https:\/\/selvbooking\.ringkobing-skjern\.dk\/joblog$/);
  });

  it('links only to ordinary pages of the portal: nothing in the link logs anyone in', () => {
    const at = DateTime.fromISO('2026-03-30T09:00', { zone: ZONE }).toJSDate();
    for (const language of ['da', 'en'] as const) {
      for (const kind of MESSAGE_KINDS) {
        const text = renderSms(contentOf(kind, at), context(language));
        for (const url of text.match(/https?:\/\/\S+/g) ?? []) {
          expect(['https://selvbooking.ringkobing-skjern.dk/', 'https://selvbooking.ringkobing-skjern.dk/joblog', 'https://selvbooking.ringkobing-skjern.dk/vurdering']).toContain(url);
        }
      }
    }
  });

  it('tells time and place, or that we call, in Copenhagen time across daylight saving', () => {
    const summer = DateTime.fromISO('2026-03-30T09:00', { zone: ZONE }).toJSDate();
    const winter = DateTime.fromISO('2026-10-26T09:00', { zone: ZONE }).toJSDate();
    expect(smsWhen(summer, 'da')).toBe('mandag 30. marts kl. 09.00');
    expect(smsWhen(winter, 'en')).toBe('Monday 26 October at 09:00');
    const phone = renderSms({ kind: 'meeting_reminder', startsAt: summer, mode: 'phone', place: '' }, context('da'));
    expect(phone).toBe(
      'Husk din samtale med Jobcenter Ringkøbing-Skjern mandag 30. marts kl. 09.00. Vi ringer til dig. ' +
        'Kan du ikke komme, så flyt eller aflys den her: https://selvbooking.ringkobing-skjern.dk/',
    );
    // A time with no place of its own is at the jobcenter.
    const noPlace = renderSms({ kind: 'meeting_booked', startsAt: summer, mode: 'in_person', place: '' }, context('en'));
    expect(noPlace).toContain('Place: Ved Fjorden 6, 6950 Ringkøbing.');
    const course = renderSms(contentOf('course_enrolled', summer), context('da'));
    expect(course).toContain('mandag 30. marts kl. 09.00-12.00');
    expect(course).toContain('ring til Jobcenter Ringkøbing-Skjern på +45 9974 1500');
  });

  it('keeps typographic dashes and quotes from the database from turning a text into UCS-2', () => {
    expect(plain('Lokale “Fjorden” – 2.\u00a0sal')).toBe('Lokale "Fjorden" - 2. sal');
    const at = DateTime.fromISO('2026-06-01T10:00', { zone: ZONE }).toJSDate();
    const text = renderSms({ kind: 'meeting_booked', startsAt: at, mode: 'in_person', place: 'Mødelokale “Fjorden” – 2. sal' }, context('da'));
    expect(countSegments(text).encoding).toBe('GSM-7');
  });
});
