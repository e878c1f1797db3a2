import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * "Vurdering af samtale" (issue 8 point 6): after a held samtale the citizen is asked, once, two
 * questions on a five-point scale: was I involved in the samtale, was it useful.
 *
 * One row per samtale (the primary key), created in the same transaction as the caseworker marks the
 * samtale held (server/ratings/queries.ts requestRating), together with the SMS in the outbox. Its
 * status is the citizen's answer to being asked:
 *   - 'asked': not answered yet (the overview shows the invitation, the SMS links to the page);
 *   - 'answered': both answers given (involved, useful: 1-5) at answered_at. Final: a trigger refuses
 *     any change to an answered row, so a rating can never be given twice or rewritten;
 *   - 'declined': the citizen said "nej tak" (declined_at); they are not asked again, but may still
 *     answer if they come back to the page themselves.
 *
 * The database holds the rules the code relies on: one rating per samtale, answers in 1-5 and both or
 * neither, and only the citizen's own HELD samtale can carry a rating (the trigger checks the meeting
 * on every insert and update, so neither a bug nor a race with another status change can rate a
 * samtale that was not held).
 *
 * Staff never see a single citizen's answers: the caseworker sees aggregates of at least 5 answers
 * (server/ratings/routes.ts), the rates store counts only (server/rates/compute.ts, metric 'rating').
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE meeting_ratings (
      meeting_id uuid PRIMARY KEY,
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      status text NOT NULL DEFAULT 'asked' CHECK (status IN ('asked', 'answered', 'declined')),
      asked_at timestamptz NOT NULL,
      involved smallint CHECK (involved BETWEEN 1 AND 5),
      useful smallint CHECK (useful BETWEEN 1 AND 5),
      answered_at timestamptz,
      declined_at timestamptz,
      CHECK ((status = 'answered') = (involved IS NOT NULL AND useful IS NOT NULL AND answered_at IS NOT NULL)),
      CHECK ((involved IS NULL) = (useful IS NULL) AND (involved IS NULL) = (answered_at IS NULL)),
      CHECK (status <> 'declined' OR declined_at IS NOT NULL),
      CHECK (status <> 'asked' OR declined_at IS NULL),
      UNIQUE (jobcenter_id, meeting_id),
      FOREIGN KEY (jobcenter_id, meeting_id) REFERENCES meetings(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    // The overview's invitation: the citizen's open requests, newest first.
    `CREATE INDEX meeting_ratings_open ON meeting_ratings (citizen_id, asked_at DESC) WHERE status = 'asked'`,
    `CREATE FUNCTION meeting_ratings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'UPDATE' AND OLD.status = 'answered' THEN
         RAISE EXCEPTION 'meeting_ratings: an answered rating is final' USING ERRCODE = 'check_violation';
       END IF;
       IF NOT EXISTS (SELECT 1 FROM meetings m
                      WHERE m.jobcenter_id = NEW.jobcenter_id AND m.id = NEW.meeting_id
                        AND m.citizen_id = NEW.citizen_id AND m.status = 'held') THEN
         RAISE EXCEPTION 'meeting_ratings: only the citizen''s own held samtale can be rated' USING ERRCODE = 'check_violation';
       END IF;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER meeting_ratings_guard BEFORE INSERT OR UPDATE ON meeting_ratings
       FOR EACH ROW EXECUTE FUNCTION meeting_ratings_guard()`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE meeting_ratings`, `DROP FUNCTION meeting_ratings_guard`]);
}
