/**
 * The slot of the monthly rates job: 03:00 Copenhagen time on the 1st. Never 02:00-03:00, the hour
 * that is skipped (last Sunday of March) or happens twice (last Sunday of October) when the clocks
 * change, which would drop or double a run; a job that runs only once a day or month must stay out of
 * it (test/sms-jobs.test.ts checks every job). jobs/monthly-rates.ts runs on it.
 *
 * In a module of its own (re-exported by registry.ts) so that a job can use it without importing the
 * registry, which imports every job (a cycle would leave the registry's list with a hole in it).
 */
export const MONTHLY_RATES_SCHEDULE = '0 3 1 * *';
