import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake GatewayAPI on loopback for the tests: every raw HTTP request it receives is kept (and counted
 * per `userref`, the outbox id the sender puts in each message), with the real time it arrived and,
 * when the test runs on a simulated clock, the simulated time read at that moment. What it answers is
 * up to the test (`answer`); by default GatewayAPI's 200 with a message id. It can also SIGKILL a
 * process on its k-th request, before answering it (a sender dying half-way through a batch).
 */

export interface FakeRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The `userref` of a JSON body, as a string; undefined when there is none. */
  userref: string | undefined;
  /** 1 for the first request this server received, 2 for the next, ... */
  seq: number;
  /** Date.now() when the request arrived (its headers). */
  receivedAt: number;
  /** The simulated time when it arrived (options.simulatedNow), if the test gave one. */
  simulatedAt: Date | undefined;
}

export type FakeAnswer = (request: FakeRequest, response: ServerResponse) => void;

export interface FakeGatewayApi {
  /** http://127.0.0.1:<port>, for GATEWAYAPI_URL. */
  url: string;
  /** Every request, in the order they arrived. */
  readonly requests: FakeRequest[];
  /** What to answer from now on. */
  answer: FakeAnswer;
  /** Requests per userref. */
  countsByUserref(): Map<string, number>;
  /** On the k-th request from now (1 = the next one), SIGKILL the process before answering; the request is never answered. */
  killOnRequest(k: number, pid: number): void;
  /** The kill that killOnRequest() armed, once it happened: the request's seq. */
  killedAt(): number | undefined;
  close(): Promise<void>;
}

export const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
};

/** GatewayAPI's answer to an accepted message: 200 with a message id. */
export function acceptMessage(): FakeAnswer {
  let id = 100_000_000;
  return (_request, response) => json(response, 200, { ids: [++id], usage: { countries: { DK: 1 }, currency: 'DKK', total_cost: 0.16 } });
}

function userrefOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const ref = parsed && typeof parsed === 'object' ? (parsed as { userref?: unknown }).userref : undefined;
    return typeof ref === 'string' || typeof ref === 'number' ? String(ref) : undefined;
  } catch {
    return undefined;
  }
}

export async function startFakeGatewayApi(options: { answer?: FakeAnswer; simulatedNow?: () => Date } = {}): Promise<FakeGatewayApi> {
  const requests: FakeRequest[] = [];
  let kill: { seq: number; pid: number } | undefined;
  let killed: number | undefined;
  const fake = {
    url: '',
    requests,
    answer: options.answer ?? acceptMessage(),
    countsByUserref() {
      const counts = new Map<string, number>();
      for (const request of requests) {
        if (request.userref !== undefined) counts.set(request.userref, (counts.get(request.userref) ?? 0) + 1);
      }
      return counts;
    },
    killOnRequest(k: number, pid: number) {
      kill = { seq: requests.length + k, pid };
      killed = undefined;
    },
    killedAt: () => killed,
    close: async () => {},
  } satisfies FakeGatewayApi;

  const server = createServer((request, response) => {
    const receivedAt = Date.now();
    const simulatedAt = options.simulatedNow?.();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const entry: FakeRequest = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        userref: userrefOf(body),
        seq: requests.length + 1,
        receivedAt,
        simulatedAt,
      };
      requests.push(entry);
      if (kill && entry.seq === kill.seq) {
        killed = entry.seq;
        try {
          process.kill(kill.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
        kill = undefined;
        return;
      }
      fake.answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
