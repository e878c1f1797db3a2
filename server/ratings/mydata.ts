import { cells, type MyDataSection } from '../mydata/sections.ts';

/**
 * The citizen's ratings of their samtaler ("vurdering af samtale"): their own answers are personal data
 * of theirs, so their copy holds them (staff never see them one by one, see server/ratings/routes.ts).
 */
export const meetingRatingsSection: MyDataSection = {
  key: 'meeting_ratings',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('meeting_ratings as r')
      .innerJoin('meetings as m', (j) => j.onRef('m.jobcenter_id', '=', 'r.jobcenter_id').onRef('m.id', '=', 'r.meeting_id'))
      .select(['r.meeting_id', 'm.starts_at as meeting_starts_at', 'r.status', 'r.asked_at', 'r.involved', 'r.useful', 'r.answered_at', 'r.declined_at'])
      .where('r.jobcenter_id', '=', scope.jobcenterId)
      .where('r.citizen_id', '=', scope.citizenId)
      .orderBy('m.starts_at')
      .execute();
    return cells(rows);
  },
};
