import { cells, type MyDataSection } from '../mydata/sections.ts';

/** The citizen's booking windows, for their copy of their data. */
export const bookingWindowsSection: MyDataSection = {
  key: 'booking_windows',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('booking_windows')
      .select(['id', 'earliest_date', 'latest_date', 'deadline', 'status', 'created_at'])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('citizen_id', '=', scope.citizenId)
      .orderBy('created_at')
      .execute();
    return cells(rows);
  },
};

/** The citizen's meetings with their caseworker's name, and every change to them. */
export const meetingsSection: MyDataSection = {
  key: 'meetings',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('meetings as m')
      .innerJoin('staff as st', (j) => j.onRef('st.id', '=', 'm.caseworker_id').onRef('st.jobcenter_id', '=', 'm.jobcenter_id'))
      .select(['m.id', 'm.starts_at', 'm.ends_at', 'm.mode', 'm.place', 'm.status', 'm.channel', 'm.booked_at', 'm.sequence', 'st.name as caseworker'])
      .where('m.jobcenter_id', '=', scope.jobcenterId)
      .where('m.citizen_id', '=', scope.citizenId)
      .orderBy('m.starts_at')
      .execute();
    return cells(rows);
  },
};

export const meetingHistorySection: MyDataSection = {
  key: 'meeting_history',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('meeting_history as h')
      .innerJoin('meetings as m', (j) => j.onRef('m.id', '=', 'h.meeting_id').onRef('m.jobcenter_id', '=', 'h.jobcenter_id'))
      .select(['h.meeting_id', 'h.at', 'h.action', 'h.actor_kind', 'h.actor_name', 'h.channel', 'h.sequence', 'h.starts_at', 'h.previous_starts_at'])
      .where('m.jobcenter_id', '=', scope.jobcenterId)
      .where('m.citizen_id', '=', scope.citizenId)
      .orderBy('h.id')
      .execute();
    return cells(rows);
  },
};
