import { isMonth, previousMonth, storeSnapshot } from '../server/rates/compute.ts';
import type { Job } from './registry.ts';
import { MONTHLY_RATES_SCHEDULE } from './schedules.ts';

/**
 * Monthly rates (issue 8, server/rates/compute.ts). On its schedule (03:00 Copenhagen time on the 1st)
 * it stores, for every jobcenter, the previous month's figures as the REPORTED snapshot "as known at"
 * the moment computed; a second run, or a run in another instance at the same time, stores nothing more
 * (one reported snapshot per jobcenter and month, by a unique index).
 *
 * `npm run job -- rates --month=2026-10` recomputes a month: it stores a RECOMPUTED snapshot (the
 * reported one is never touched), so late data (a backdated sick note, a late entry) shows as a
 * difference between the two.
 */
export const monthlyRates: Job = {
  name: 'rates',
  schedule: MONTHLY_RATES_SCHEDULE,
  description: "Stores the previous month's rates as the reported snapshot; --month=YYYY-MM recomputes a month.",
  async run({ db, clock, args }) {
    const requested = args?.month;
    if (requested !== undefined && !isMonth(requested)) {
      throw new RangeError(`--month must be YYYY-MM, e.g. 2026-10 (got "${requested}")`);
    }
    const now = clock.now();
    const month = requested ?? previousMonth(now);
    const kind = requested === undefined ? 'reported' : 'recomputed';
    const jobcenters = await db.selectFrom('jobcenters').select('id').orderBy('id').execute();
    let stored = 0;
    for (const { id } of jobcenters) {
      if ((await storeSnapshot(db, id, month, kind, now)).stored) stored += 1;
    }
    return { jobcenters: jobcenters.length, [kind]: stored, month: Number(month.replace('-', '')) };
  },
};
