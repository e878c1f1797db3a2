import type { Language } from '../db/types.ts';
import { allKeys, translate } from '../i18n.ts';
import type { RetentionRow, SeenByRow } from './queries.ts';

/**
 * Turning stored codes (retention categories, roles, audit actions and entities) into plain words for
 * the citizen. Codes written by features that do not exist yet get a general text rather than an error.
 */

let knownKeys: Set<string> | undefined;
function has(key: string): boolean {
  knownKeys ??= new Set(allKeys('da'));
  return knownKeys.has(key);
}

function translateOr(language: Language, key: string, fallbackKey: string, values: Record<string, unknown> = {}): string {
  return translate(language, has(key) ? key : fallbackKey, values);
}

/** 1825 -> "5 år", 90 -> "90 dage", 1 -> "1 dag" (and the English). */
export function durationText(days: number, language: Language): string {
  if (days >= 365 && days % 365 === 0) {
    const years = days / 365;
    return translate(language, years === 1 ? 'mydata.duration.year' : 'mydata.duration.years', { count: years });
  }
  return translate(language, days === 1 ? 'mydata.duration.day' : 'mydata.duration.days', { count: days });
}

export interface RetentionView {
  category: string;
  what: string;
  duration: string;
}

export function retentionView(rows: RetentionRow[], language: Language): RetentionView[] {
  return rows.map((row) => ({
    category: row.category,
    what: translateOr(language, `mydata.retention.categories.${row.category}`, 'mydata.retention.categories.other', { category: row.category }),
    duration: durationText(row.retainDays, language),
  }));
}

/** "caseworker,team_lead" -> "jobkonsulent, teamleder"; an integration is "IT-system". */
export function roleText(kind: SeenByRow['actorKind'], role: string | null, language: Language): string {
  if (kind === 'integration') return translate(language, 'mydata.seen.integrationRole');
  const roles = (role ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) return translate(language, 'mydata.seen.unknownRole');
  return roles.map((r) => translateOr(language, `roles.${r}`, 'mydata.seen.unknownRole')).join(', ');
}

/** "Så din joblog", "Ændrede dine samtaler", "Viewed your Joblog". */
export function whatText(action: string, entity: string, language: Language): string {
  return translate(language, 'mydata.seen.what', {
    action: translateOr(language, `mydata.actions.${action}`, 'mydata.actions.other'),
    entity: translateOr(language, `mydata.entities.${entity}`, 'mydata.entities.other'),
  });
}

export interface SeenByView {
  at: Date;
  name: string;
  role: string;
  what: string;
  purpose: string;
}

export function seenByView(rows: SeenByRow[], language: Language): SeenByView[] {
  return rows.map((row) => ({
    at: row.at,
    name: row.actorName ?? translate(language, row.actorKind === 'integration' ? 'mydata.seen.unknownSystem' : 'mydata.seen.unknownPerson'),
    role: roleText(row.actorKind, row.actorRole, language),
    what: whatText(row.action, row.entity, language),
    purpose: row.purpose ?? translate(language, 'mydata.seen.noPurpose'),
  }));
}
