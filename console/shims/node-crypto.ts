/** Browser stand-in for `node:crypto` as the SDK's browser-safe code uses it: randomBytes only. */
import { BrowserBuffer } from './buffer.ts';

export function randomBytes(n: number): BrowserBuffer {
  const b = new BrowserBuffer(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser console`);
}

export function createHash(): never {
  return unavailable('createHash (streamed file hashing)');
}
export default { randomBytes, createHash };
