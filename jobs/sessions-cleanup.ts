import { deleteExpiredSessions } from '../server/plugins/session.ts';
import type { Job } from './registry.ts';

export const sessionsCleanup: Job = {
  name: 'sessions-cleanup',
  schedule: '*/10 * * * *',
  description: 'Deletes expired sessions from the session store.',
  async run({ db, clock }) {
    return { deleted: await deleteExpiredSessions(db, clock.now()) };
  },
};
