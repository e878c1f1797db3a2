import { sql } from 'kysely';
import type { DemoSeeder } from '../demo/seed.ts';

/**
 * The ratings demo ("vurdering af samtale"), one statement over the held samtaler the booking demo made:
 *  - the citizen's latest held samtale of the last 20 days is still waiting for an answer (asked, not
 *    answered) for every third citizen (borger03, borger06, ...), so the overview shows the invitation
 *    and /vurdering the form;
 *  - of the other held samtaler about two in three were rated, one or two hours after; the rest were
 *    asked and never answered;
 *  - the share rated positive (both answers 4 or 5) climbs toward the target of 90 %: about 64 % twelve
 *    months ago, about 86 % last month, so the caseworker's page (and the rates) have a story, with
 *    months of 5 answers or more and months below.
 * Deterministic for a given set of samtaler: every choice is arithmetic on the samtale's rank.
 */
export const seedRatingDemo: DemoSeeder = async (trx, context) => {
  const today = context.today.toISODate() as string;
  await sql`
    WITH held AS (
      SELECT m.jobcenter_id, m.id, m.citizen_id, m.starts_at,
             row_number() OVER (ORDER BY m.starts_at, d.sort_order)::int AS rn,
             row_number() OVER (PARTITION BY m.citizen_id ORDER BY m.starts_at DESC)::int AS latest,
             d.sort_order AS n,
             ((extract(year FROM ${today}::date) - extract(year FROM (m.starts_at AT TIME ZONE 'Europe/Copenhagen')::date)) * 12
               + extract(month FROM ${today}::date) - extract(month FROM (m.starts_at AT TIME ZONE 'Europe/Copenhagen')::date))::int AS months_ago
      FROM meetings m
      JOIN demo_users d ON d.citizen_id = m.citizen_id
      WHERE m.jobcenter_id = ${context.jobcenterId} AND m.status = 'held' AND m.starts_at < ${today}::date::timestamp AT TIME ZONE 'Europe/Copenhagen'
    ),
    plan AS (
      SELECT h.*,
             (h.latest = 1 AND h.n % 3 = 0 AND h.starts_at > (${today}::date - 20)::timestamp AT TIME ZONE 'Europe/Copenhagen') AS waiting,
             (h.rn * 53) % 100 < 65 AS answers,
             (h.rn * 37 + 11) % 100 < 88 - 2 * LEAST(h.months_ago, 12) AS positive
      FROM held h
    )
    INSERT INTO meeting_ratings (jobcenter_id, meeting_id, citizen_id, status, asked_at, involved, useful, answered_at)
    SELECT p.jobcenter_id, p.id, p.citizen_id,
           CASE WHEN p.answers AND NOT p.waiting THEN 'answered' ELSE 'asked' END,
           p.starts_at + interval '1 hour',
           CASE WHEN NOT p.answers OR p.waiting THEN NULL WHEN p.positive THEN 4 + p.rn % 2 ELSE 2 + p.rn % 4 END,
           CASE WHEN NOT p.answers OR p.waiting THEN NULL WHEN p.positive THEN 5 - (p.rn / 3) % 2 ELSE 1 + p.rn % 3 END,
           CASE WHEN p.answers AND NOT p.waiting THEN p.starts_at + interval '1 hour' + (p.rn % 8) * interval '1 hour' END
    FROM plan p`.execute(trx);
};
