import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_core.ts';
import * as m0002 from './0002_identity.ts';
import * as m0003 from './0003_admin.ts';
import * as m0004 from './0004_integration_clients.ts';
import * as m0005 from './0005_booking.ts';
import * as m0006 from './0006_joblog.ts';
import * as m0007 from './0007_meeting_notes.ts';
import * as m0008 from './0008_audit_search.ts';
import * as m0009 from './0009_sms.ts';
import * as m0011 from './0011_rates.ts';
import * as m0012 from './0012_outbox_speed.ts';
import * as m0013 from './0013_meeting_ratings.ts';
import * as m0014 from './0014_kiosk.ts';
import * as m0015 from './0015_desk.ts';
import * as m0016 from './0016_rates_baseline.ts';
import * as m0017 from './0017_rates_speed.ts';

/**
 * Every migration, in order. A static list rather than a folder scan, so the same code runs under
 * Node's type stripping, Vitest and the container without a build step. Add new files here.
 */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
  '0002_identity': m0002,
  '0003_admin': m0003,
  '0004_integration_clients': m0004,
  '0005_booking': m0005,
  '0006_joblog': m0006,
  '0007_meeting_notes': m0007,
  '0008_audit_search': m0008,
  '0009_sms': m0009,
  '0011_rates': m0011,
  '0012_outbox_speed': m0012,
  '0013_meeting_ratings': m0013,
  '0014_kiosk': m0014,
  '0015_desk': m0015,
  '0016_rates_baseline': m0016,
  '0017_rates_speed': m0017,
};
