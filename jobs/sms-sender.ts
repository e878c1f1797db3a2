import { drainOutbox } from '../server/sms/sender.ts';
import { createSmsProvider } from '../server/sms/providers.ts';
import type { Job } from './registry.ts';

/** Within its minute, so a run has ended before the next one is due (node-cron skips an overlapping run). */
export const SMS_SENDER_TIME_BUDGET_MS = 50_000;

export const smsSender: Job = {
  name: 'sms-sender',
  schedule: '* * * * *',
  description:
    'Sends the SMS that are due from the outbox, batch after batch until none is left or 50 s have passed; ' +
    'every instance runs it, rows are claimed with FOR UPDATE SKIP LOCKED (server/sms/sender.ts).',
  async run({ db, clock, log, config }) {
    const provider = createSmsProvider(config, log);
    return drainOutbox({ db, provider, clock, log, config, timeBudgetMs: SMS_SENDER_TIME_BUDGET_MS });
  },
};
