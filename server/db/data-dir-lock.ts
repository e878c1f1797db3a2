import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export class DataDirInUseError extends Error {
  constructor(folder: string, pid: number) {
    super(
      `The embedded database in ${folder} is already in use by another process (pid ${pid}). ` +
        `Stop that process first (for example the running "npm start"), or set DATABASE_URL to use a PostgreSQL server, ` +
        `which several processes can share.`,
    );
  }
}

export interface DataDirLock {
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock on an embedded database folder: a lock file created with O_EXCL holding our
 * pid. A lock left by a process that no longer runs (a crash, a kill -9) is taken over.
 */
export function lockDataDir(folder: string): DataDirLock {
  const file = path.join(folder, 'portal.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file);
        } catch {
          // already gone
        }
      };
      process.once('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(holder) && holder !== process.pid && isAlive(holder)) {
        throw new DataDirInUseError(folder, holder);
      }
      if (holder === process.pid) throw new DataDirInUseError(folder, holder);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${folder}`);
}
