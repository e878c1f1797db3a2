import { DateTime } from 'luxon';
import type { Language } from '../db/types.ts';
import { ZONE } from '../time.ts';
import type { AgreementProgress } from './queries.ts';

/** "10. november" / "10 November": the day an agreement was made, as the citizen reads it. */
export function agreementDay(day: string, language: Language): string {
  const dt = DateTime.fromISO(day, { zone: ZONE }).setLocale(language === 'da' ? 'da-DK' : 'en-GB');
  return dt.toFormat(language === 'da' ? 'd. LLLL' : 'd LLLL');
}

/** The citizen's agreement in plain words: "Du har søgt 3 af 6 job siden 10. november". */
export function citizenAgreementView(progress: AgreementProgress | undefined, language: Language) {
  if (!progress) return undefined;
  return {
    period: progress.agreement.period,
    applications: progress.applications,
    target: progress.agreement.applications_per_period,
    since: agreementDay(progress.agreement.agreed_on, language),
    nextSteps: progress.agreement.next_steps,
  };
}
