import { ConfigError, loadDotEnv } from './config.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';

/** Runs a command-line entry point: known problems are one clear line and exit code 1, never a stack. */
export async function runCli(main: () => Promise<void>): Promise<void> {
  try {
    loadDotEnv();
    await main();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) console.error(`Configuration error: ${problem}`);
    } else if (error instanceof DataDirInUseError) {
      console.error(error.message);
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exitCode = 1;
  }
}
