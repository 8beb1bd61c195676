/**
 * The CLI's HTTP transport for the SDK (ClientOptions.fetch): a request over node:http(s).
 * Node's global fetch loads undici and compiles its WebAssembly HTTP parser on first use, about
 * 150 ms of a command's start; a CLI read makes one or two small requests, for which node:http
 * is enough. Same contract as the FetchLike the SDK takes: the status, the body as text, a
 * rejection carrying the errno (ECONNREFUSED …) or the AbortSignal's reason (a TimeoutError).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { FetchLike } from '../sdk/index.ts';

/** Bodies larger than this are refused (the node's largest answers are pages of blocks). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export const nodeFetch: FetchLike = (input, init = {}) => new Promise((resolve, reject) => {
  const url = new URL(input);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const { signal } = init;
  if (signal?.aborted) {
    reject(signal.reason);
    return;
  }
  const req = send(url, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res: IncomingMessage) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) req.destroy(new Error(`the answer from ${url.origin} is larger than ${MAX_BODY_BYTES} bytes`));
      else chunks.push(c);
    });
    res.on('error', reject);
    res.on('end', () => {
      signal?.removeEventListener('abort', onAbort);
      const status = res.statusCode ?? 0;
      const body = Buffer.concat(chunks).toString('utf8');
      resolve({ ok: status >= 200 && status < 300, status, text: async () => body });
    });
  });
  const onAbort = (): void => void req.destroy(signal!.reason as Error);
  signal?.addEventListener('abort', onAbort, { once: true });
  req.on('error', (err) => {
    signal?.removeEventListener('abort', onAbort);
    reject(err);
  });
  req.end(init.body);
});
