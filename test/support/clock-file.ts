import { renameSync, writeFileSync } from 'node:fs';

/**
 * The test's side of TEST_CLOCK_FILE (fileClock() in server/time.ts): the file holding the instant that
 * is "now" for every process reading it. Each change is written atomically (a new file renamed over the
 * old one), so a reader never sees half an instant.
 */
export class ClockFile {
  readonly path: string;
  #now: Date;

  constructor(path: string, start: Date) {
    this.path = path;
    this.#now = start;
    this.set(start);
  }

  now(): Date {
    return new Date(this.#now);
  }

  set(instant: Date): void {
    const next = `${this.path}.next`;
    writeFileSync(next, `${instant.toISOString()}\n`);
    renameSync(next, this.path);
    this.#now = new Date(instant);
  }

  advance(ms: number): Date {
    this.set(new Date(this.#now.getTime() + ms));
    return this.now();
  }
}
