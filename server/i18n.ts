import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Language } from './db/types.ts';

export const LANGUAGES: readonly Language[] = ['da', 'en'];
export const DEFAULT_LANGUAGE: Language = 'da';

type Messages = { [key: string]: string | Messages };

/**
 * A language's texts: every JSON file in views/locales/<language>/, one per feature, merged. A top-level
 * key may be defined in only one file, so two features never overwrite each other's texts.
 */
function load(language: Language): Messages {
  const folder = fileURLToPath(new URL(`../views/locales/${language}/`, import.meta.url));
  const messages: Messages = {};
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.json')).sort()) {
    const content = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as Messages;
    for (const [key, value] of Object.entries(content)) {
      if (key in messages) throw new Error(`views/locales/${language}/${file}: "${key}" is already defined in another file`);
      messages[key] = value;
    }
  }
  return messages;
}

const catalogues: Record<Language, Messages> = { da: load('da'), en: load('en') };

export function isLanguage(value: unknown): value is Language {
  return value === 'da' || value === 'en';
}

function lookup(messages: Messages, key: string): string | undefined {
  let node: string | Messages | undefined = messages;
  for (const part of key.split('.')) {
    if (node === undefined || typeof node === 'string') return undefined;
    node = node[part];
  }
  return typeof node === 'string' ? node : undefined;
}

export class MissingTranslationError extends Error {}

/**
 * The text for a key in a language, with {name} placeholders filled in. A key missing in the chosen
 * language falls back to Danish; a key missing everywhere is a bug and throws (tests render every page).
 */
export function translate(language: Language, key: string, values: Record<string, unknown> = {}): string {
  const template = lookup(catalogues[language], key) ?? lookup(catalogues[DEFAULT_LANGUAGE], key);
  if (template === undefined) throw new MissingTranslationError(`Missing text "${key}" in views/locales`);
  return template.replace(/\{(\w+)\}/g, (match, name: string) =>
    values[name] === undefined || values[name] === null ? match : String(values[name]),
  );
}

/** Every key of a catalogue, for the test that da and en have the same texts. */
export function allKeys(language: Language): string[] {
  const keys: string[] = [];
  const walk = (node: Messages, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const full = prefix ? `${prefix}.${key}` : key;
      if (typeof value === 'string') keys.push(full);
      else walk(value, full);
    }
  };
  walk(catalogues[language], '');
  return keys.sort();
}
