/** First module evaluated: the SDK code uses Node's global Buffer for hex and byte work. */
import { BrowserBuffer } from '../shims/buffer.ts';

const g = globalThis as unknown as { Buffer?: unknown };
if (g.Buffer === undefined) g.Buffer = BrowserBuffer;
