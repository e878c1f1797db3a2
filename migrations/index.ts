import type { Migration } from 'kysely/migration';
import * as m0001 from './0001_core.ts';

/**
 * Every migration, in order. A static list rather than a folder scan, so the same code runs under
 * Node's type stripping, Vitest and the container without a build step. Add new files here.
 */
export const migrations: Record<string, Migration> = {
  '0001_core': m0001,
};
