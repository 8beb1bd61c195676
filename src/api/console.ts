/**
 * Serves the web console (console/, built into console/dist by scripts/build-console.mjs) at
 * /console: static files with their content types, a fallback to index.html for the console's
 * own routes (it is a single-page app), and no way out of the dist folder.
 */
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { errorBody } from './errors.ts';

/** Where the build puts the console: `<repo>/console/dist`. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../console/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
};

export interface ConsoleOptions {
  /** The built console (default CONSOLE_DIST). */
  dir?: string;
}

/**
 * The file under `root` that a URL path names, or null when the path is malformed or would leave
 * `root` (`..`, encoded slashes or backslashes, NUL bytes).
 */
export function consoleFileFor(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const parts = decoded.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) return null;
  const file = resolve(root, ...parts);
  return file === root || file.startsWith(root + sep) ? file : null;
}

export function registerConsole(app: FastifyInstance, opts: ConsoleOptions = {}): void {
  const root = resolve(opts.dir ?? CONSOLE_DIST);
  const index = join(root, 'index.html');

  const sendFile = async (reply: FastifyReply, file: string, immutable: boolean): Promise<FastifyReply> => {
    const body = await readFile(file);
    return reply
      .header('content-type', TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  };

  const serve = async (path: string, reply: FastifyReply): Promise<FastifyReply> => {
    if (!existsSync(index)) {
      return reply.status(503).send(errorBody('CONSOLE_NOT_BUILT', `the web console is not built (${index} is missing); run \`npm run build\` and restart the node`));
    }
    const file = consoleFileFor(root, path);
    if (file === null) return reply.status(400).send(errorBody('BAD_REQUEST', 'malformed console path'));
    const st = await stat(file).catch(() => null);
    if (st?.isFile()) return sendFile(reply, file, file.startsWith(join(root, 'assets') + sep));
    // A missing file that looks like an asset is a 404; anything else is a console route.
    if (extname(file) !== '') return reply.status(404).send(errorBody('NOT_FOUND', `no console file ${path}`));
    return sendFile(reply, index, false);
  };

  app.get('/console', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  app.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, async (req, reply) => serve(req.params['*'] ?? '', reply));
}
