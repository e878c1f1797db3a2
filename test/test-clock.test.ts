import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job, JobContext } from '../jobs/registry.ts';
import { jobs } from '../jobs/registry.ts';
import { startClockScheduler, type Scheduler } from '../jobs/scheduler.ts';
import { ConfigError, loadConfig, type Config } from '../server/config.ts';
import type { Db } from '../server/db/types.ts';
import { fileClock } from '../server/time.ts';
import { local } from './support/booking.ts';
import { ClockFile } from './support/clock-file.ts';
import { PRODUCTION_OIDC_ENV } from './support/oidc-env.ts';
import { killAll, startProcess, tempDataDir, waitForExit } from './support/process.ts';

/**
 * The injectable clock that processes share (TEST_CLOCK_FILE -> fileClock()) and the scheduler that
 * follows it (startClockScheduler()): what test/sms-cluster.test.ts drives three processes with.
 */

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'test-clock-'));
});
afterAll(async () => {
  await killAll();
  await rm(folder, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, what: string, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('fileClock', () => {
  it('is the instant in the file, follows each change, and hands out copies', () => {
    const file = new ClockFile(path.join(folder, 'a'), new Date('2027-01-12T07:00:00Z'));
    const clock = fileClock(file.path);
    expect(clock.now()).toEqual(new Date('2027-01-12T07:00:00Z'));
    const copy = clock.now();
    copy.setFullYear(1999);
    expect(clock.now()).toEqual(new Date('2027-01-12T07:00:00Z'));
    file.set(new Date('2027-01-12T07:02:00Z'));
    expect(clock.now()).toEqual(new Date('2027-01-12T07:02:00Z'));
    file.advance(60_000);
    expect(clock.now()).toEqual(new Date('2027-01-12T07:03:00Z'));
    // Two processes reading one file share one clock.
    expect(fileClock(file.path).now()).toEqual(clock.now());
  });

  it('reads an offset as written, and refuses anything that is not one instant', async () => {
    const file = path.join(folder, 'b');
    await writeFile(file, '2027-01-12T08:00:00+01:00\n');
    expect(fileClock(file).now()).toEqual(new Date('2027-01-12T07:00:00Z'));
    for (const text of ['2027-01-12T08:00:00', 'tomorrow', '', '2027-01-12T08:00:00Z 2027-01-13T08:00:00Z']) {
      await writeFile(file, text);
      expect(() => fileClock(file).now(), text).toThrow(`the clock file ${file} must hold one ISO instant with its offset`);
    }
    expect(() => fileClock(path.join(folder, 'missing')).now()).toThrow(/the clock file .*missing cannot be read \(ENOENT\)/);
  });
});

describe('TEST_CLOCK_FILE', () => {
  const production = {
    NODE_ENV: 'production',
    SESSION_SECRET: 'x'.repeat(40),
    DATA_KEY: 'y'.repeat(40),
    DATABASE_URL: 'postgres://db.internal/portal',
    PUBLIC_URL: 'https://selvbooking.example.dk',
    ...PRODUCTION_OIDC_ENV,
  };

  it('is off by default, taken as given outside production, and refused in production', () => {
    expect(loadConfig({}).testClockFile).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'test', TEST_CLOCK_FILE: '/tmp/clock' }).testClockFile).toBe('/tmp/clock');
    expect(loadConfig(production).testClockFile).toBeUndefined();
    let problems: string[] = [];
    try {
      loadConfig({ ...production, TEST_CLOCK_FILE: '/tmp/clock' });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual(['TEST_CLOCK_FILE must not be set when NODE_ENV=production (it is for tests only) (got "/tmp/clock")']);
  });

  it('the portal refuses to start in production with it, or on a clock file it cannot read: one line, exit code 1', async () => {
    const inProduction = startProcess({
      name: 'clock-production',
      env: { ...production, PORT: '3999', DATA_DIR: await tempDataDir(), TEST_CLOCK_FILE: path.join(folder, 'a') },
    });
    const missing = path.join(folder, `missing-${randomBytes(4).toString('hex')}`);
    const unreadable = startProcess({ name: 'clock-missing', env: { NODE_ENV: 'development', PORT: '3999', DATA_DIR: await tempDataDir(), TEST_CLOCK_FILE: missing } });
    expect(await waitForExit(inProduction, 15_000)).toEqual({ code: 1, signal: null });
    expect(await waitForExit(unreadable, 15_000)).toEqual({ code: 1, signal: null });
    expect(inProduction.stderr().trim()).toBe(
      `Configuration error: TEST_CLOCK_FILE must not be set when NODE_ENV=production (it is for tests only) (got "${path.join(folder, 'a')}")`,
    );
    expect(unreadable.stderr().trim()).toBe(`Configuration error: TEST_CLOCK_FILE: the clock file ${missing} cannot be read (ENOENT)`);
  });
});

describe('startClockScheduler', () => {
  const silent = pino({ level: 'silent' }) as unknown as FastifyBaseLogger;
  let scheduler: Scheduler | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    scheduler = undefined;
  });

  /** A job that records the simulated moment of each run; `hold` keeps a run going until released. */
  function recorder(name: string, schedule: string) {
    const runs: Date[] = [];
    let release: (() => void) | undefined;
    const job: Job & { runs: Date[]; hold: boolean; release(): void } = {
      name,
      schedule,
      description: name,
      runs,
      hold: false,
      release: () => release?.(),
      async run(context) {
        runs.push(context.clock.now());
        if (job.hold) await new Promise<void>((resolve) => (release = resolve));
        return {};
      },
    };
    return job;
  }

  it('runs each job when the clock passes one of its minutes (Copenhagen time), once per poll however many passed', async () => {
    const file = new ClockFile(path.join(folder, 'sched'), local('2027-01-12T09:55'));
    const clock = fileClock(file.path);
    const everyMinute = recorder('every-minute', '* * * * *');
    const everyTen = recorder('every-ten', '*/10 * * * *');
    const weekdaysAtTen = recorder('weekdays-at-ten', '0 10 * * 1-5');
    const context: JobContext = { db: {} as Db, clock, log: silent, config: {} as Config };
    scheduler = startClockScheduler(context, { pollMs: 10, jobs: [everyMinute, everyTen, weekdaysAtTen] });

    // The clock stands still: nothing runs (the minute it started in counts as passed).
    await sleep(60);
    expect(everyMinute.runs).toEqual([]);

    file.set(local('2027-01-12T09:56'));
    await until(() => everyMinute.runs.length === 1, 'the every-minute job');
    expect(everyMinute.runs).toEqual([local('2027-01-12T09:56')]);
    expect(everyTen.runs).toEqual([]);

    // Eleven minutes at once (10:00 among them): each job once.
    file.set(local('2027-01-12T10:07'));
    await until(() => weekdaysAtTen.runs.length === 1, 'the 10:00 job');
    await sleep(60);
    expect(everyMinute.runs).toHaveLength(2);
    expect(everyTen.runs).toEqual([local('2027-01-12T10:07')]);
    expect(weekdaysAtTen.runs).toEqual([local('2027-01-12T10:07')]);

    // Back in time, or the same minute again: nothing.
    file.set(local('2027-01-12T10:03'));
    await sleep(60);
    file.set(local('2027-01-12T10:07:30'));
    await sleep(60);
    expect(everyMinute.runs).toHaveLength(2);

    // Saturday 10:00 is not a weekday.
    file.set(local('2027-01-16T09:59'));
    await until(() => everyMinute.runs.length === 3, 'the every-minute job on Saturday');
    const weekdayRuns = weekdaysAtTen.runs.length;
    file.set(local('2027-01-16T10:01'));
    await until(() => everyMinute.runs.length === 4, 'the every-minute job at 10:01');
    await sleep(60);
    expect(weekdaysAtTen.runs).toHaveLength(weekdayRuns);
    expect(everyTen.runs.at(-1)).toEqual(local('2027-01-16T10:01'));

    // Stopped: nothing more.
    await scheduler.stop();
    scheduler = undefined;
    file.set(local('2027-01-16T10:30'));
    await sleep(60);
    expect(everyMinute.runs).toHaveLength(4);
  });

  it('never starts a job again while its last run is still going (noOverlap)', async () => {
    const file = new ClockFile(path.join(folder, 'overlap'), local('2027-01-12T09:00'));
    const slow = recorder('slow', '* * * * *');
    slow.hold = true;
    scheduler = startClockScheduler({ db: {} as Db, clock: fileClock(file.path), log: silent, config: {} as Config }, { pollMs: 10, jobs: [slow] });
    file.set(local('2027-01-12T09:01'));
    await until(() => slow.runs.length === 1, 'the first run');
    file.set(local('2027-01-12T09:02'));
    await sleep(50);
    file.set(local('2027-01-12T09:03'));
    await sleep(50);
    expect(slow.runs).toHaveLength(1);
    slow.hold = false;
    slow.release();
    file.set(local('2027-01-12T09:04'));
    await until(() => slow.runs.length === 2, 'the next run');
    expect(slow.runs.at(-1)).toEqual(local('2027-01-12T09:04'));
  });

  it('knows every registered job’s schedule', () => {
    // createTask refuses a pattern node-cron cannot read; stop() cleans up.
    const scheduler = startClockScheduler({ db: {} as Db, clock: { now: () => new Date() }, log: silent, config: {} as Config }, { pollMs: 1_000_000 });
    expect(jobs.length).toBeGreaterThan(0);
    return scheduler.stop();
  });
});
