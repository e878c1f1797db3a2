import type { FieldErrors } from '../plugins/views.ts';

/**
 * "Vurdering af samtale": the rules, free of the database.
 *
 * Two questions on a five-point scale (1 = not at all, 5 = very much): was the citizen involved in the
 * samtale ("involveret"), was it useful to them ("brugbar"). A rating is POSITIVE when both answers are
 * 4 or 5; the jobcenter's target is that 90% are (jobcenter_settings.target_meeting_rating).
 */

/** The form's fields: one radio group per question. */
export const QUESTIONS = ['involveret', 'brugbar'] as const;
export type Question = (typeof QUESTIONS)[number];
export const SCALE = ['1', '2', '3', '4', '5'] as const;

/** An answer of this or more counts towards a positive rating. */
export const POSITIVE_FROM = 4;
/** Staff see a figure only when it rests on at least this many answers; below it "for få svar". */
export const MIN_ANSWERS = 5;
/** The invitation stays on the overview, and answers are taken, for this many days after the samtale. */
export const RATING_OPEN_DAYS = 30;
/** The SMS goes this long after the samtale is marked held (not while the citizen is still in the room). */
export const SMS_DELAY_MINUTES = 60;
/** After this the SMS is pointless and the sender cancels it. */
export const SMS_VALID_DAYS = 7;

export interface RatingAnswers {
  involved: number;
  useful: number;
}

export function isPositive(answers: RatingAnswers): boolean {
  return answers.involved >= POSITIVE_FROM && answers.useful >= POSITIVE_FROM;
}

/**
 * The rating form, read strictly: each question one of '1'..'5' as a single string. Anything else (not
 * chosen, another number, a repeated field, an object) is the message for that question, and nothing
 * is stored. The values keep what was chosen, if it was a valid choice, so the form shows it again.
 */
export function readRatingForm(
  body: Record<string, unknown>,
): { ok: true; answers: RatingAnswers; values: Record<Question, string> } | { ok: false; errors: FieldErrors; values: Record<Question, string> } {
  const values = { involveret: '', brugbar: '' } as Record<Question, string>;
  const errors: FieldErrors = {};
  for (const question of QUESTIONS) {
    const raw = body[question];
    if (raw === undefined || raw === '') {
      errors[question] = `ratings.errors.${question}Missing`;
    } else if (typeof raw !== 'string' || !(SCALE as readonly string[]).includes(raw.trim())) {
      errors[question] = `ratings.errors.${question}Range`;
    } else {
      values[question] = raw.trim();
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  return { ok: true, values, answers: { involved: Number(values.involveret), useful: Number(values.brugbar) } };
}

/** What staff may see of a set of answers: the counts always, the shares only from MIN_ANSWERS up. */
export interface Aggregate {
  held: number;
  answered: number;
  positive: number;
  involved: number;
  useful: number;
}

export type AggregateView =
  | { shown: false; held: number; answered: number }
  | { shown: true; held: number; answered: number; positivePct: number; involvedPct: number; usefulPct: number; responsePct: number };

const pct = (numerator: number, denominator: number) => (denominator === 0 ? 0 : Math.round((numerator / denominator) * 100));

export function aggregateView(a: Aggregate): AggregateView {
  if (a.answered < MIN_ANSWERS) return { shown: false, held: a.held, answered: a.answered };
  return {
    shown: true,
    held: a.held,
    answered: a.answered,
    positivePct: pct(a.positive, a.answered),
    involvedPct: pct(a.involved, a.answered),
    usefulPct: pct(a.useful, a.answered),
    responsePct: pct(a.answered, a.held),
  };
}
