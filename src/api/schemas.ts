/** JSON Schemas for the OpenAPI document and request validation. */

export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
} as const;

export const txSchema = {
  type: 'object',
  description: 'A signed transaction. hash = SM3 (SHA-256 on Ed25519 chains) of the RFC 8785 canonical JSON of every field but sig; sig signs the 32 hash bytes.',
  properties: {
    chain: { type: 'string' },
    from: { type: 'string', description: 'sender DID (did:shulian:…), the DID of pubkey' },
    pubkey: { type: 'string', description: 'hex public key' },
    nonce: { type: 'integer', minimum: 0 },
    module: { type: 'string' },
    method: { type: 'string' },
    args: { type: 'object', additionalProperties: true, description: 'the method\'s arguments: an object whose fields the module\'s method defines' },
    expires: { type: 'integer', minimum: 0, description: 'last height at which the tx may be included' },
    sig: { type: 'string', description: '64 bytes r‖s, hex' },
  },
  required: ['chain', 'from', 'pubkey', 'nonce', 'module', 'method', 'args', 'expires', 'sig'],
} as const;

export const chainParam = {
  type: 'object',
  properties: { chain: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } },
  required: ['chain'],
} as const;

export const anyObject = { type: 'object', additionalProperties: true } as const;
