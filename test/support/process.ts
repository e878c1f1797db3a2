import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_DIR } from './logs.ts';

/**
 * Real portal processes for the tests that need one: the same node flags as `npm start`, a port and a
 * data folder of their own, the output kept in memory and written to LOG_DIR (searched for personal
 * data at the end of the run). Every process started here is killed by killAll(), which the test files
 * call in afterEach, so a failing test leaves nothing running.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE_FLAGS = ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'];

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PortalProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** The PORT it was given (NaN when the test gave it a bad one on purpose). */
  port: number;
  logFile: string;
  /** Set once the process has exited and its output is complete. */
  exit: Exit | undefined;
  exited: Promise<Exit>;
  stdout(): string;
  stderr(): string;
  /** stdout and stderr as they arrived. */
  output(): string;
}

const running = new Set<PortalProcess>();
const folders = new Set<string>();
const handedOut = new Set<number>();

// Should the test worker itself go away, its portal processes go with it.
process.on('exit', () => {
  for (const portal of running) portal.child.kill('SIGKILL');
});

/** A port nobody listens on now (and that this worker has not handed out before). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address() as net.AddressInfo;
        server.close(() => resolve(address.port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** A fresh, empty folder under the system's temp folder, removed by killAll(). */
export async function tempDataDir(): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'portal-process-'));
  folders.add(folder);
  return folder;
}

export interface StartOptions {
  /** Shows in the log file's name. */
  name: string;
  /** The entry point, relative to the repository: server/main.ts (`npm start`) by default. */
  script?: string;
  /** Arguments after the script (`npm run job -- sms-sender --now=...`). */
  args?: string[];
  /** The portal's environment (PORT, DATA_DIR, NODE_ENV, ...): nothing else of the test's is passed on. */
  env: Record<string, string>;
}

/** Starts a process; it does not wait for anything. */
export function startProcess(options: StartOptions): PortalProcess {
  // Only what a shell would give it, and the time zone the test run has: never the test's NODE_ENV,
  // DATABASE_URL or NODE_OPTIONS.
  const env: Record<string, string> = {};
  for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'TMPDIR']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, options.env);

  const child = spawn(process.execPath, [...NODE_FLAGS, options.script ?? 'server/main.ts', ...(options.args ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);

  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = path.join(LOG_DIR, `process-${options.name}-${process.pid}-${child.pid}.log`);
  const log = createWriteStream(logFile);
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    out.push(text);
    all.push(text);
    log.write(text);
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    err.push(text);
    all.push(text);
    log.write(text);
  });

  const portal: PortalProcess = {
    name: options.name,
    child,
    pid: child.pid,
    port: Number(options.env.PORT),
    logFile,
    exit: undefined,
    exited: new Promise<Exit>((resolve) => {
      // 'close': the process has exited and its output has been read to the end.
      child.once('close', (code, signal) => {
        const exit = { code, signal };
        portal.exit = exit;
        running.delete(portal);
        log.end(() => resolve(exit));
      });
    }),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    output: () => all.join(''),
  };
  running.add(portal);
  return portal;
}

/** Starts `npm start`'s server/main.ts on a free port. */
export async function startPortal(name: string, env: Record<string, string>): Promise<PortalProcess> {
  const port = await freePort();
  return startProcess({ name, env: { PORT: String(port), ...env } });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeProcess(portal: PortalProcess): string {
  const exit = portal.exit ? ` (exited with code ${portal.exit.code}, signal ${portal.exit.signal})` : '';
  return `${portal.name}${exit}; its output ends:\n${portal.output().slice(-3000)}`;
}

/** Resolves with the exit, or rejects when the process is still running after timeoutMs. */
export async function waitForExit(portal: PortalProcess, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${portal.name} did not exit within ${timeoutMs} ms; ${describeProcess(portal)}`)), timeoutMs);
  });
  try {
    return await Promise.race([portal.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until the process's output contains the text (or matches the pattern). */
export async function waitForOutput(portal: PortalProcess, expected: string | RegExp, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const found = () => (typeof expected === 'string' ? portal.output().includes(expected) : expected.test(portal.output()));
  while (!found()) {
    if (portal.exit) throw new Error(`waiting for ${String(expected)}: ${describeProcess(portal)}`);
    if (Date.now() > deadline) throw new Error(`${String(expected)} did not appear within ${timeoutMs} ms: ${describeProcess(portal)}`);
    await sleep(50);
  }
}

/** Polls /health/ready until it answers 200; fails at once if the process exits. Returns how long it took. */
export async function waitUntilReady(portal: PortalProcess, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (portal.exit) throw new Error(`exited before it was ready: ${describeProcess(portal)}`);
    try {
      const response = await request(portal.port, { path: '/health/ready', timeoutMs: 2_000 });
      if (response.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms: ${describeProcess(portal)}`);
    await sleep(200);
  }
}

/** Sends the signal and waits for the exit. */
export async function stop(portal: PortalProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<Exit> {
  if (!portal.exit) portal.child.kill(signal);
  return waitForExit(portal, timeoutMs);
}

/** Kills every process still running (SIGKILL) and removes the temp folders. For afterEach/afterAll. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (portal) => {
      portal.child.kill('SIGKILL');
      await portal.exited;
    }),
  );
  await Promise.all([...folders].map((folder) => rm(folder, { recursive: true, force: true })));
  folders.clear();
}

export interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on a connection of its own (closed afterwards: no keep-alive pool to the process). */
export function request(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path ?? '/',
        headers: options.headers ?? {},
        agent: false,
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${options.path ?? '/'} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** True when something accepts a TCP connection on the port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
