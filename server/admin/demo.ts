import type { DemoSeeder } from '../demo/seed.ts';
import type { RefusedRow } from './rules.ts';

/**
 * One earlier citizen import in the demo jobcenter, so the admin sees what a report looks like (and the
 * browser checks have a report page to visit): the demo citizens, all unchanged, and two refused rows.
 */
export const seedAdminDemo: DemoSeeder = async (trx, context) => {
  const refused: RefusedRow[] = [
    { line: 18, cpr: '121290-xxxx', reasons: [{ code: 'teamUnknown', params: { team: 'Team Vest' } }] },
    { line: 35, cpr: null, reasons: [{ code: 'cprInvalid' }, { code: 'fromDateInvalid' }] },
  ];
  await trx
    .insertInto('citizen_imports')
    .values({
      jobcenter_id: context.jobcenterId,
      staff_id: context.staffIds.admin ?? null,
      file_name: 'borgere-fra-fagsystem.csv',
      created_at: context.today.minus({ days: 7 }).set({ hour: 9, minute: 30 }).toJSDate(),
      rows_total: 42,
      created_count: 0,
      changed_count: 0,
      unchanged_count: 40,
      refused_count: refused.length,
      refused: JSON.stringify(refused),
    })
    .execute();
};
