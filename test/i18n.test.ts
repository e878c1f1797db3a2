import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allKeys, translate } from '../server/i18n.ts';

function templates(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const full = path.join(folder, name);
    if (statSync(full).isDirectory()) return templates(full);
    return name.endsWith('.hbs') ? [full] : [];
  });
}

describe('texts', () => {
  it('has the same keys in Danish and English', () => {
    expect(allKeys('en')).toEqual(allKeys('da'));
  });

  it('fills in placeholders and refuses unknown keys', () => {
    expect(translate('da', 'home.citizen.title', { name: 'Jens' })).toBe('Hej Jens');
    expect(translate('en', 'home.citizen.title', { name: 'Jens' })).toBe('Hello Jens');
    expect(() => translate('da', 'no.such.key')).toThrow(/Missing text/);
  });

  it('has every key a template asks for, and no text written into a template', () => {
    const keys = new Set(allKeys('da'));
    for (const file of templates(path.resolve('views'))) {
      const source = readFileSync(file, 'utf8');
      for (const match of source.matchAll(/\{\{t "([^"]+)"/g)) {
        expect(keys, `${file} uses ${match[1]}`).toContain(match[1]);
      }
      // Text between tags that is not a Handlebars expression is a hard-coded text.
      const withoutComments = source.replace(/\{\{!--[\s\S]*?--\}\}/g, '').replace(/\{\{\{[\s\S]*?\}\}\}/g, '').replace(/\{\{[\s\S]*?\}\}/g, '');
      const visible = withoutComments
        .replace(/<(script|style)[\s\S]*?<\/\1>/g, '')
        .replace(/<[^>]+>/g, ' ')
        .replace(/&[a-z]+;|[–()\-:,.|/]/g, ' ')
        .trim();
      expect(visible, `hard-coded text in ${file}`).toBe('');
    }
  });
});
