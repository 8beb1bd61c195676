/**
 * Frames: the plaintext carried inside one sealed record once a link is up (docs/network.md).
 *
 *   u8 kind | u8 chainLen | chain (ASCII) | u8 topicLen | topic (ASCII) | [u32be request id] | body
 *
 * `body` is UTF-8 JSON. The request id is present for kinds request/response/error only.
 * A control frame has an empty chain and names its control type in the topic field.
 * Binary header + JSON body instead of one JSON object: a relay forwards the received bytes
 * unchanged (no re-serialisation) and the gossip seen-cache hashes those exact bytes.
 */
import type { JsonValue } from '../codec/index.ts';

export const FRAME_KIND = {
  control: 0,
  gossip: 1,
  direct: 2,
  request: 3,
  response: 4,
  error: 5,
} as const;

export type FrameKind = keyof typeof FRAME_KIND;
const KIND_BY_CODE: readonly FrameKind[] = ['control', 'gossip', 'direct', 'request', 'response', 'error'];

/** Chain ids as the ledger spells them (`CHAIN_ID_RE` in src/ledger). */
export const CHAIN_RE = /^[a-z][a-z0-9-]{0,31}$/;
/** Topics: `tx`, `consensus`, `sync`, or any extension name of this shape. */
export const TOPIC_RE = /^[a-z][a-z0-9._-]{0,31}$/;
/** Bodies nested deeper than this are refused so no handler meets a stack-busting value. */
export const MAX_JSON_DEPTH = 64;

export interface DecodedFrame {
  kind: FrameKind;
  /** Empty for control frames. */
  chain: string;
  /** For control frames, the control type (`ready`, `chains`). */
  topic: string;
  /** Request id for request/response/error frames, otherwise 0. */
  id: number;
  body: JsonValue;
  /** Offset of the body in the frame bytes. */
  bodyOffset: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const enc = new TextEncoder();

function hasId(kind: FrameKind): boolean {
  return kind === 'request' || kind === 'response' || kind === 'error';
}

/** Encodes a frame. `body` is the JSON text (or its UTF-8 bytes) of the body. */
export function encodeFrame(kind: FrameKind, chain: string, topic: string, body: string | Uint8Array, id = 0): Uint8Array {
  const bodyBytes = typeof body === 'string' ? enc.encode(body) : body;
  const withId = hasId(kind);
  const head = 3 + chain.length + topic.length + (withId ? 4 : 0);
  const out = Buffer.allocUnsafe(head + bodyBytes.length);
  let o = 0;
  out[o++] = FRAME_KIND[kind];
  out[o++] = chain.length;
  o += out.write(chain, o, 'latin1');
  out[o++] = topic.length;
  o += out.write(topic, o, 'latin1');
  if (withId) {
    out.writeUInt32BE(id >>> 0, o);
    o += 4;
  }
  out.set(bodyBytes, o);
  return out;
}

function asciiField(bytes: Uint8Array, start: number, len: number): string | null {
  if (start + len > bytes.length) return null;
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = bytes[i]!;
    if (c < 0x20 || c > 0x7e) return null;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Nesting depth of JSON text, counting brackets outside strings. The text is already known to
 * parse, so string escapes only need `\` to skip the next character.
 */
function jsonDepthWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return true;
}

/**
 * Decodes one frame; null for anything malformed. Never throws, whatever the bytes.
 * `maxBytes` caps the whole frame.
 */
export function decodeFrame(bytes: Uint8Array, maxBytes = Number.MAX_SAFE_INTEGER): DecodedFrame | null {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.length < 4 || bytes.length > maxBytes) return null;
    const kind = KIND_BY_CODE[bytes[0]!];
    if (kind === undefined) return null;
    let o = 1;
    const chainLen = bytes[o++]!;
    const chain = asciiField(bytes, o, chainLen);
    if (chain === null) return null;
    o += chainLen;
    if (kind === 'control' ? chain !== '' : !CHAIN_RE.test(chain)) return null;
    if (o >= bytes.length) return null;
    const topicLen = bytes[o++]!;
    const topic = asciiField(bytes, o, topicLen);
    if (topic === null || !TOPIC_RE.test(topic)) return null;
    o += topicLen;
    let id = 0;
    if (hasId(kind)) {
      if (o + 4 > bytes.length) return null;
      id = ((bytes[o]! << 24) | (bytes[o + 1]! << 16) | (bytes[o + 2]! << 8) | bytes[o + 3]!) >>> 0;
      o += 4;
    }
    if (o >= bytes.length) return null;
    const text = utf8.decode(bytes.subarray(o));
    const body = JSON.parse(text) as JsonValue;
    if (!jsonDepthWithin(text, MAX_JSON_DEPTH)) return null;
    return { kind, chain, topic, id, body, bodyOffset: o };
  } catch {
    return null;
  }
}
