import type { DbOrTrx, JobcenterSettings } from '../db/types.ts';

export async function jobcenterSettings(db: DbOrTrx, jobcenterId: string): Promise<JobcenterSettings | undefined> {
  return db.selectFrom('jobcenter_settings').selectAll().where('jobcenter_id', '=', jobcenterId).executeTakeFirst();
}
