/**
 * Where this node is reached (issue #13 item 11): its public base URL, from configuration
 * (`ApiOptions.publicUrl`, `shulian up --public-url`), else the address the API listens on —
 * never a request's Host header, which the caller chooses. Credential status-list URLs and the
 * origins console sign-ins may name come from here.
 */
import type { FastifyInstance } from 'fastify';
import { ShulianError } from '../codec/index.ts';

export interface ApiSite {
  /** The node's public base URL without a trailing slash; undefined before the API listens when none was configured. */
  publicUrl(): string | undefined;
  /** Origins a console sign-in may name: the public URL's and the loopback names of the listen port. */
  signInOrigins(): string[];
}

/** Checks a configured public URL: http(s), no query or fragment. Returns it without a trailing slash. */
export function checkPublicUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ShulianError('CONFIG_INVALID', `public URL ${JSON.stringify(url)} is not a URL; give the address clients use, such as https://node.example`);
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.search || u.hash || u.username || u.password) {
    throw new ShulianError('CONFIG_INVALID', `public URL ${url} must be a plain http(s) base URL such as https://node.example or https://example.org/shulian`);
  }
  return url.replace(/\/+$/, '');
}

const UNSPECIFIED = new Set(['0.0.0.0', '::', '']);

/** The site of `app`: the configured public URL, else its listen address once it listens. */
export function apiSite(app: FastifyInstance, configured: string | undefined): ApiSite {
  const pub = configured === undefined ? undefined : checkPublicUrl(configured);
  const listen = (): { host: string; port: number } | undefined => {
    const a = app.server.address();
    if (!a || typeof a !== 'object') return undefined;
    return { host: a.address, port: a.port };
  };
  const hostPart = (h: string): string => (h.includes(':') ? `[${h}]` : h);
  return {
    publicUrl() {
      if (pub !== undefined) return pub;
      const l = listen();
      if (!l) return undefined;
      return `http://${UNSPECIFIED.has(l.host) ? '127.0.0.1' : hostPart(l.host)}:${l.port}`;
    },
    signInOrigins() {
      const out = new Set<string>();
      if (pub !== undefined) out.add(new URL(pub).origin);
      const l = listen();
      if (l) {
        // Loopback names reach this node only from its own machine: a relay elsewhere cannot use them.
        for (const h of ['127.0.0.1', 'localhost', '[::1]']) out.add(`http://${h}:${l.port}`);
        if (pub === undefined && !UNSPECIFIED.has(l.host)) out.add(`http://${hostPart(l.host)}:${l.port}`);
      }
      return [...out];
    },
  };
}
