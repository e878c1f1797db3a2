import { cells, type MyDataSection } from '../mydata/sections.ts';

/**
 * When the reception marked the citizen "Ankommet" for a samtale (and any undone by mistake), for the
 * citizen's copy of their data. Who at the desk did it is in the audit log the citizen can see.
 */
export const meetingCheckInsSection: MyDataSection = {
  key: 'meeting_check_ins',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('meeting_check_ins as ci')
      .innerJoin('meetings as m', (j) => j.onRef('m.jobcenter_id', '=', 'ci.jobcenter_id').onRef('m.id', '=', 'ci.meeting_id'))
      .select(['ci.meeting_id', 'm.starts_at as meeting_starts_at', 'ci.checked_in_at', 'ci.undone_at'])
      .where('ci.jobcenter_id', '=', scope.jobcenterId)
      .where('ci.citizen_id', '=', scope.citizenId)
      .orderBy('ci.checked_in_at')
      .execute();
    return cells(rows);
  },
};
