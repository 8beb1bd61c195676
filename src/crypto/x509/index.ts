/**
 * The X.509 bridge (DESIGN §4 "Identity is the account", docs/did-method.md "X.509 binding"):
 * checks a certificate chain, leaf first, up to one of the alliance's configured root CAs.
 *
 * Parsing (names, validity, extensions) is @peculiar/x509's. Signatures are checked here,
 * synchronously and without WebCrypto, so the same code runs inside a module on every node:
 * ecdsa-with-SHA256 over P-256 with @noble/curves, and SM2-with-SM3 (OID 1.2.156.10197.1.501)
 * with Shulian's SM2 verify over the tbsCertificate bytes, with the default ID
 * "1234567812345678" as GM/T 0015 prescribes for certificates.
 *
 * Checked for every certificate on the path: its signature by the next one's key, issuer name =
 * next subject name, validity at `opts.at`, no unknown critical extension; for every issuer
 * (intermediates and the root): basicConstraints cA = TRUE, keyUsage with keyCertSign, and
 * pathLenConstraint. The path must end at a configured root: either the chain's last
 * certificate is byte-for-byte a root, or a root's key signs it. Not checked: revocation
 * (CRL/OCSP), name constraints and policies (a certificate marking those critical is refused).
 */
import { createRequire } from 'node:module';
import type * as PeculiarX509 from '@peculiar/x509';
import { p256 } from '@noble/curves/nist.js';
import { bytesEqual, toHex } from '../../codec/index.ts';
import { sm3 } from '../hash.ts';
import { verify } from '../keys.ts';
import { children, content, DerError, derToRs, oidToString, raw, readTlv } from './der.ts';
import { X509Error, type X509ErrorCode } from './errors.ts';

let peculiar: typeof PeculiarX509 | undefined;
/**
 * @peculiar/x509, loaded on the first certificate parsed: it (with tsyringe and the asn1 schemas)
 * took a third of a CLI command's start and was loaded by every node and command through the DID
 * module, which most never use for a certificate. Its CommonJS build (the one `import` loaded
 * too: the package has no "exports") is required synchronously, so parsing stays synchronous.
 */
function x509(): typeof PeculiarX509 {
  if (!peculiar) {
    const require = createRequire(import.meta.url);
    require('reflect-metadata'); // @peculiar/x509 (through tsyringe) needs the Reflect metadata API before it loads
    peculiar = require('@peculiar/x509') as typeof PeculiarX509;
  }
  return peculiar;
}

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  sm2Curve: '1.2.156.10197.1.301',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sm2WithSm3: '1.2.156.10197.1.501',
} as const;

/** Extensions this checker understands or may safely ignore when marked critical. */
const KNOWN_CRITICAL = new Set(['2.5.29.19', '2.5.29.15', '2.5.29.17', '2.5.29.37', '2.5.29.14', '2.5.29.35']);

/** At most this many certificates in a chain (leaf, intermediates, optionally the root). */
export const MAX_CHAIN_LENGTH = 5;
/** At most this many bytes of DER per certificate. */
export const MAX_CERT_BYTES = 8192;

export type X509KeySuite = 'sm2' | 'p256';

export { X509Error, type X509ErrorCode } from './errors.ts';

/** One certificate, parsed, with the raw pieces path checking needs. */
export interface ParsedCertificate {
  der: Uint8Array;
  /** SM3 of the DER, lowercase hex. */
  fingerprint: string;
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** Uncompressed point 04‖X‖Y. */
  publicKey: Uint8Array;
  keySuite: X509KeySuite;
  /** SubjectAltName URIs (where a DID would be). */
  uris: string[];
  cert: PeculiarX509.X509Certificate;
  tbs: Uint8Array;
  signatureAlgorithm: string;
  signature: Uint8Array;
  subjectDer: Uint8Array;
  issuerDer: Uint8Array;
}

export type ChainVerification =
  | {
    ok: true;
    /** Leaf subject DN as text (RFC 4514 style, from @peculiar/x509). */
    subject: string;
    issuer: string;
    leafPublicKey: Uint8Array;
    leafKeySuite: X509KeySuite;
    leaf: ParsedCertificate;
    /** The configured root the path ends at. */
    root: ParsedCertificate;
  }
  | { ok: false; code: X509ErrorCode; reason: string };


/** A certificate as PEM text, bare base64 DER, or DER bytes. */
export type CertificateInput = string | Uint8Array;

/** Configured trust anchors, parsed once. */
export interface TrustRoots {
  readonly roots: readonly ParsedCertificate[];
}

function toDer(input: CertificateInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  const b64 = input.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new X509Error('X509_MALFORMED', 'not PEM or base64 DER');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

function ecKey(spki: Uint8Array): { publicKey: Uint8Array; keySuite: X509KeySuite } {
  const top = readTlv(spki, 0);
  const [alg, bits] = children(spki, top);
  if (!alg || !bits || bits.tag !== 0x03) throw new DerError('bad SubjectPublicKeyInfo');
  const [algOid, param] = children(spki, alg);
  const algName = algOid ? oidToString(content(spki, algOid)) : '';
  const curve = param && param.tag === 0x06 ? oidToString(content(spki, param)) : '';
  const keySuite: X509KeySuite | undefined = algName !== OID.ecPublicKey ? undefined : curve === OID.sm2Curve ? 'sm2' : curve === OID.p256 ? 'p256' : undefined;
  if (!keySuite) {
    throw new X509Error('X509_UNSUPPORTED_KEY', `public key algorithm ${algName}${curve ? ` on curve ${curve}` : ''} is not supported; only EC keys on SM2 (${OID.sm2Curve}) or P-256 (${OID.p256})`);
  }
  const b = content(spki, bits);
  const publicKey = b.subarray(1);
  if (b[0] !== 0 || publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new X509Error('X509_UNSUPPORTED_KEY', 'the public key must be an uncompressed point (65 bytes, 04‖X‖Y)');
  }
  return { publicKey: new Uint8Array(publicKey), keySuite };
}

/** Parses one certificate; throws X509Error. */
export function parseCertificate(input: CertificateInput): ParsedCertificate {
  const der = toDer(input);
  if (der.length > MAX_CERT_BYTES) throw new X509Error('X509_MALFORMED', `certificate is ${der.length} bytes; at most ${MAX_CERT_BYTES}`);
  try {
    const top = readTlv(der, 0);
    if (top.tag !== 0x30 || top.end !== der.length) throw new DerError('not a DER SEQUENCE');
    const [tbsT, algT, sigT, ...more] = children(der, top);
    if (!tbsT || !algT || !sigT || more.length || tbsT.tag !== 0x30 || algT.tag !== 0x30 || sigT.tag !== 0x03) throw new DerError('not a Certificate');
    const tbsParts = children(der, tbsT);
    const f = tbsParts[0]?.tag === 0xa0 ? tbsParts.slice(1) : tbsParts;
    const [, innerAlg, issuerT, , subjectT, spkiT] = f;
    if (!innerAlg || !issuerT || !subjectT || !spkiT) throw new DerError('tbsCertificate too short');
    if (!bytesEqual(raw(der, innerAlg), raw(der, algT))) throw new DerError('signature algorithm inside tbsCertificate differs from the outer one');
    const algOidT = children(der, algT)[0];
    if (!algOidT || algOidT.tag !== 0x06) throw new DerError('bad AlgorithmIdentifier');
    const sigBits = content(der, sigT);
    if (sigBits[0] !== 0) throw new DerError('signature BIT STRING with unused bits');
    const lib = x509();
    const cert = new lib.X509Certificate(new Uint8Array(der));
    const { publicKey, keySuite } = ecKey(raw(der, spkiT));
    const san = cert.getExtension(lib.SubjectAlternativeNameExtension);
    const uris = san ? san.names.items.filter((n) => n.type === 'url').map((n) => n.value) : [];
    return {
      der, fingerprint: toHex(sm3(der)), subject: cert.subject, issuer: cert.issuer, notBefore: cert.notBefore, notAfter: cert.notAfter,
      publicKey, keySuite, uris, cert, tbs: raw(der, tbsT), signatureAlgorithm: oidToString(content(der, algOidT)),
      signature: sigBits.subarray(1), subjectDer: raw(der, subjectT), issuerDer: raw(der, issuerT),
    };
  } catch (err) {
    if (err instanceof X509Error) throw err;
    throw new X509Error('X509_MALFORMED', `cannot parse the certificate: ${(err as Error).message}`);
  }
}

export function loadTrustRoots(roots: readonly CertificateInput[]): TrustRoots {
  return { roots: roots.map((r, i) => {
    try {
      return parseCertificate(r);
    } catch (err) {
      throw new X509Error((err as X509Error).code ?? 'X509_MALFORMED', `configured root ${i}: ${(err as Error).message}`);
    }
  }) };
}

/** Whether `issuer`'s key made `cert`'s signature. Never throws. */
export function signatureValid(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  try {
    if (cert.signatureAlgorithm === OID.sm2WithSm3) {
      return issuer.keySuite === 'sm2' && verify('sm2', issuer.publicKey, cert.tbs, derToRs(cert.signature));
    }
    if (cert.signatureAlgorithm === OID.ecdsaWithSha256) {
      return issuer.keySuite === 'p256' && p256.verify(cert.signature, cert.tbs, issuer.publicKey, { prehash: true, lowS: false, format: 'der' });
    }
    return false;
  } catch {
    return false;
  }
}

const fail = (code: X509ErrorCode, reason: string): ChainVerification => ({ ok: false, code, reason });
const SUPPORTED_SIG = new Set<string>([OID.sm2WithSm3, OID.ecdsaWithSha256]);

/**
 * Checks `chain` (leaf first, then its issuers; the root may be included or left off) against
 * `roots` at time `opts.at`. Synchronous and deterministic (no clock, no network). Never throws
 * for bad input: a failure is `{ ok: false, code, reason }`.
 */
export function verifyCertificateChain(chain: readonly CertificateInput[], roots: TrustRoots | readonly CertificateInput[], opts: { at: Date }): ChainVerification {
  const trust = 'roots' in roots ? roots : loadTrustRoots(roots as readonly CertificateInput[]);
  if (chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) return fail('X509_CHAIN_LENGTH', `a chain has 1 to ${MAX_CHAIN_LENGTH} certificates, leaf first; got ${chain.length}`);
  const certs: ParsedCertificate[] = [];
  for (const [i, c] of chain.entries()) {
    try {
      certs.push(parseCertificate(c));
    } catch (err) {
      const e = err as X509Error;
      return fail(e.code ?? 'X509_MALFORMED', `certificate ${i}: ${e.message}`);
    }
  }
  for (const [i, c] of certs.entries()) {
    if (!SUPPORTED_SIG.has(c.signatureAlgorithm) && !trust.roots.some((r) => bytesEqual(r.der, c.der))) {
      return fail('X509_UNSUPPORTED_ALGORITHM', `certificate ${i} (${c.subject}) is signed with ${c.signatureAlgorithm}; only SM2-with-SM3 (${OID.sm2WithSm3}) and ECDSA-with-SHA256 (${OID.ecdsaWithSha256}) are supported`);
    }
  }

  // Anchor: the last certificate is a root, or a root signed it.
  const last = certs[certs.length - 1]!;
  let path: ParsedCertificate[];
  const same = trust.roots.find((r) => bytesEqual(r.der, last.der));
  if (same) {
    path = certs;
  } else {
    const root = trust.roots.find((r) => bytesEqual(r.subjectDer, last.issuerDer) && signatureValid(last, r));
    if (!root) {
      return fail('X509_UNTRUSTED_ROOT', `the chain ends at "${last.subject}", issued by "${last.issuer}", which is not one of the ${trust.roots.length} configured root CAs (or its signature does not verify with theirs)`);
    }
    path = [...certs, root];
  }

  const at = opts.at.getTime();
  for (const [i, c] of path.entries()) {
    const what = i === 0 ? `leaf "${c.subject}"` : i === path.length - 1 ? `root "${c.subject}"` : `intermediate "${c.subject}"`;
    if (at < c.notBefore.getTime()) return fail('X509_NOT_YET_VALID', `${what} is valid only from ${c.notBefore.toISOString()}, after ${opts.at.toISOString()}`);
    if (at > c.notAfter.getTime()) return fail('X509_EXPIRED', `${what} expired at ${c.notAfter.toISOString()}, before ${opts.at.toISOString()}`);
    for (const ext of c.cert.extensions) {
      if (ext.critical && !KNOWN_CRITICAL.has(ext.type)) return fail('X509_UNKNOWN_CRITICAL_EXTENSION', `${what} has the critical extension ${ext.type}, which this checker does not process`);
    }
    if (i > 0) {
      const { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension } = x509();
      const bc = c.cert.getExtension(BasicConstraintsExtension);
      if (!bc || !bc.ca) return fail('X509_NOT_CA', `${what} issues "${path[i - 1]!.subject}" but is not a CA (basicConstraints cA is not TRUE)`);
      const ku = c.cert.getExtension(KeyUsagesExtension);
      if (!ku || !(ku.usages & KeyUsageFlags.keyCertSign)) return fail('X509_NO_KEY_CERT_SIGN', `${what} issues certificates but its keyUsage lacks keyCertSign`);
      // Intermediates between this issuer and the leaf (RFC 5280 §4.2.1.9).
      if (bc.pathLength !== undefined && i - 1 > bc.pathLength) return fail('X509_PATH_LENGTH', `${what} allows ${bc.pathLength} intermediate CAs below it, but the path has ${i - 1}`);
    }
    if (i < path.length - 1) {
      const issuer = path[i + 1]!;
      if (!bytesEqual(c.issuerDer, issuer.subjectDer)) return fail('X509_ISSUER_MISMATCH', `${what} names its issuer "${c.issuer}", but the next certificate is "${issuer.subject}"`);
      if (!signatureValid(c, issuer)) return fail('X509_BAD_SIGNATURE', `the signature on ${what} does not verify with the key of "${issuer.subject}"`);
    }
  }
  const leaf = path[0]!;
  return { ok: true, subject: leaf.subject, issuer: leaf.issuer, leafPublicKey: leaf.publicKey, leafKeySuite: leaf.keySuite, leaf, root: path[path.length - 1]! };
}
