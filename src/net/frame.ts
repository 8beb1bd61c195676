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
import { isUtf8 } from 'node:buffer';
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
/** Topics: `tx`, `consensus`, `proposal`, `sync`, or any extension name of this shape. */
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


function hasId(kind: FrameKind): boolean {
  return kind === 'request' || kind === 'response' || kind === 'error';
}

/** Encodes a frame. `body` is the JSON text (or its UTF-8 bytes) of the body. */
export function encodeFrame(kind: FrameKind, chain: string, topic: string, body: string | Uint8Array, id = 0): Uint8Array {
  const withId = hasId(kind);
  const head = 3 + chain.length + topic.length + (withId ? 4 : 0);
  const bodyLen = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  const out = Buffer.allocUnsafe(head + bodyLen);
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
  if (typeof body === 'string') out.write(body, o, 'utf8');
  else out.set(body, o);
  return out;
}

/** A length-prefixed name (chain or topic); the caller's regex then restricts the characters. */
function nameField(bytes: Buffer, start: number, len: number): string | null {
  if (start + len > bytes.length) return null;
  return bytes.toString('latin1', start, start + len);
}

/**
 * Whether JSON text nests at most `max` deep. Fast path: with no more than `max` opening
 * brackets anywhere (found with native indexOf) it cannot nest deeper. Otherwise brackets are
 * counted outside strings; the text is known to parse, so an escape only skips one character.
 */
function jsonDepthWithin(bytes: Buffer, max: number): boolean {
  let opens = 0;
  for (const ch of [0x5b, 0x7b]) {
    for (let i = bytes.indexOf(ch); i !== -1 && opens <= max; i = bytes.indexOf(ch, i + 1)) opens++;
  }
  if (opens <= max) return true;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
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
export function decodeFrame(input: Uint8Array, maxBytes = Number.MAX_SAFE_INTEGER): DecodedFrame | null {
  try {
    if (!(input instanceof Uint8Array) || input.length < 4 || input.length > maxBytes) return null;
    const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const kind = KIND_BY_CODE[bytes[0]!];
    if (kind === undefined) return null;
    let o = 1;
    const chainLen = bytes[o++]!;
    const chain = nameField(bytes, o, chainLen);
    if (chain === null) return null;
    o += chainLen;
    if (kind === 'control' ? chain !== '' : !CHAIN_RE.test(chain)) return null;
    if (o >= bytes.length) return null;
    const topicLen = bytes[o++]!;
    const topic = nameField(bytes, o, topicLen);
    if (topic === null || !TOPIC_RE.test(topic)) return null;
    o += topicLen;
    let id = 0;
    if (hasId(kind)) {
      if (o + 4 > bytes.length) return null;
      id = bytes.readUInt32BE(o);
      o += 4;
    }
    if (o >= bytes.length) return null;
    const raw = bytes.subarray(o);
    if (!isUtf8(raw)) return null;
    const body = JSON.parse(raw.toString('utf8')) as JsonValue;
    if (!jsonDepthWithin(raw, MAX_JSON_DEPTH)) return null;
    return { kind, chain, topic, id, body, bodyOffset: o };
  } catch {
    return null;
  }
}
