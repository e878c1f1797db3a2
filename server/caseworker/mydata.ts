import { cells, type MyDataSection } from '../mydata/sections.ts';

/**
 * The caseworker's notes on the citizen's samtaler: personal data of the citizen, so their copy of their
 * data holds every version (who wrote it, when, about which samtale). The portal does not show them
 * anywhere else to the citizen.
 */
export const meetingNotesSection: MyDataSection = {
  key: 'meeting_notes',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('meeting_notes as n')
      .innerJoin('meetings as m', (j) => j.onRef('m.jobcenter_id', '=', 'n.jobcenter_id').onRef('m.id', '=', 'n.meeting_id'))
      .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'n.jobcenter_id').onRef('st.id', '=', 'n.created_by'))
      .select(['n.id', 'n.meeting_id', 'm.starts_at as meeting_starts_at', 'n.version', 'n.body', 'st.name as written_by', 'n.created_at'])
      .where('n.jobcenter_id', '=', scope.jobcenterId)
      .where('n.citizen_id', '=', scope.citizenId)
      .orderBy('m.starts_at')
      .orderBy('n.version')
      .execute();
    return cells(rows);
  },
};
