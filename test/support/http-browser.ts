import net from 'node:net';

/** A free port on loopback, for a server whose own address must be known before it starts (PUBLIC_URL). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface Hop {
  url: string;
  status: number;
  location: string | undefined;
  body: string;
  headers: Headers;
}

/**
 * A minimal browser over real HTTP: a cookie jar per host and manual redirects, so a test can follow an
 * OpenID Connect login across the portal and the provider, and stop or tamper at any hop.
 */
export class HttpBrowser {
  readonly jars = new Map<string, Map<string, string>>();

  private jar(url: string): Map<string, string> {
    const host = new URL(url).host;
    let jar = this.jars.get(host);
    if (!jar) this.jars.set(host, (jar = new Map()));
    return jar;
  }

  private store(url: string, headers: Headers): void {
    const jar = this.jar(url);
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = (pair ?? '').indexOf('=');
      const name = (pair ?? '').slice(0, index).trim();
      const value = (pair ?? '').slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  }

  cookieHeader(url: string): string {
    return [...this.jar(url)].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect followed. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Hop> {
    const headers: Record<string, string> = { cookie: this.cookieHeader(url), ...init.headers };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.store(url, response.headers);
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      location: location ? new URL(location, url).href : undefined,
      body: await response.text(),
      headers: response.headers,
    };
  }

  /**
   * Follows redirects from a first request; `until` stops before requesting a URL (to tamper with it).
   * Returns every hop; the last is where it stopped.
   */
  async follow(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
    until?: (next: string) => boolean,
  ): Promise<{ hops: Hop[]; last: Hop; stoppedAt?: string }> {
    const hops: Hop[] = [];
    let hop = await this.request(url, init);
    hops.push(hop);
    for (let i = 0; i < 20 && hop.location && hop.status >= 300 && hop.status < 400; i++) {
      if (until?.(hop.location)) return { hops, last: hop, stoppedAt: hop.location };
      hop = await this.request(hop.location);
      hops.push(hop);
    }
    return { hops, last: hop };
  }
}

/** The action of the first form on a page, resolved against the page's URL. */
export function formAction(hop: Hop): string {
  const match = /<form[^>]*action="([^"]+)"/.exec(hop.body);
  if (!match?.[1]) throw new Error(`no form on ${hop.url}: ${hop.body.slice(0, 300)}`);
  return new URL(match[1].replace(/&amp;/g, '&'), hop.url).href;
}

/** A hidden input's value, e.g. the _csrf token of a form. */
export function hiddenValue(body: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(body);
  if (!match?.[1]) throw new Error(`no hidden field ${name}`);
  return match[1];
}
