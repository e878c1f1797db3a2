import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { DEMO_CITIZENS } from '../../server/demo/data.ts';

export const LOG_DIR = path.resolve('.test-data/logs');

/**
 * Every app the tests build logs here as well as into memory, so the end of the run can search the whole
 * suite's log output for personal data.
 */
export function captureLogs(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const file = createWriteStream(path.join(LOG_DIR, `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.log`), {
    flags: 'a',
  });
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const text = chunk.toString('utf8');
      lines.push(text);
      file.write(text, callback);
    },
    final(callback) {
      file.end(callback);
    },
  });
  return { stream, lines };
}

/** Every way a demo phone number or CPR number could be written, as regular expressions over digits. */
export function personalDataPatterns(): RegExp[] {
  const patterns: RegExp[] = [];
  const spaced = (digits: string) => digits.split('').join('[\\s.-]?');
  for (const citizen of DEMO_CITIZENS) {
    if (citizen.phone) {
      const national = citizen.phone.replace(/^\+45/, '');
      // +4599990001, 004599990001, 99990001, 9999 0001, 99 99 00 01 ...
      patterns.push(new RegExp(`(?:(?<![0-9])(?:\\+|00)?45[\\s.-]?|(?<![0-9]))${spaced(national)}(?![0-9])`));
    }
    // 0101901234, 010190-1234, 010190 1234
    patterns.push(new RegExp(`(?<![0-9])${spaced(citizen.cpr)}(?![0-9])`));
  }
  return patterns;
}

export function findPersonalDataInLogs(text: string): string[] {
  const hits: string[] = [];
  for (const pattern of personalDataPatterns()) {
    const match = pattern.exec(text);
    if (match) hits.push(`${pattern.source} at ...${text.slice(Math.max(0, match.index - 60), match.index + 20)}...`);
  }
  return hits;
}
