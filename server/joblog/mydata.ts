import { cells, type MyDataSection } from '../mydata/sections.ts';
import { allEntries, allVersions } from './queries.ts';

/** Every Joblog entry of the citizen's, deleted ones too (with when they were deleted). */
export const joblogSection: MyDataSection = {
  key: 'joblog',
  async rows(db, scope) {
    const entries = await allEntries(db, scope, { includeDeleted: true });
    return cells(entries.map(({ jobcenter_id: _j, citizen_id: _c, ...entry }) => entry));
  },
};

/** Every earlier version of those entries: who changed what, when, and the values before. */
export const joblogVersionsSection: MyDataSection = {
  key: 'joblog_versions',
  async rows(db, scope) {
    return cells(await allVersions(db, scope));
  },
};
