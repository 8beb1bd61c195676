/**
 * Test-only: builds real SM2 certificates (DER written here, signed with Shulian's SM2 `sign`,
 * SM2-with-SM3 and the default ID as GM/T 0015 says) — @peculiar/x509 cannot sign SM2.
 */
import { generateKeyPair, sign, type KeyPair } from '../index.ts';
import { bitString, bool, explicit, oid, octets, rsToDer, seq, set, time, tlv, uint, utf8 } from './der.ts';
import { OID } from './index.ts';

export interface Sm2CertSpec {
  subject: string;
  issuer: string;
  /** 65-byte SM2 public key of the subject. */
  publicKey: Uint8Array;
  /** 32-byte SM2 private key of the issuer. */
  issuerPrivateKey: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  serial?: number;
  /** basicConstraints: `{ pathLength? }` makes a CA; false writes cA FALSE; undefined leaves it out. */
  ca?: { pathLength?: number } | false;
  /** keyUsage: 'ca' = keyCertSign|cRLSign, 'leaf' = digitalSignature. */
  keyUsage?: 'ca' | 'leaf';
  sanUris?: string[];
}

const name = (cn: string): Uint8Array => seq(set(seq(oid('2.5.4.10'), utf8('Shulian test'))), set(seq(oid('2.5.4.3'), utf8(cn))));
const ext = (id: string, critical: boolean, value: Uint8Array): Uint8Array => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

export function sm2Certificate(spec: Sm2CertSpec): Uint8Array {
  const exts: Uint8Array[] = [];
  if (spec.ca !== undefined) {
    const inner = spec.ca === false ? [] : [bool(true), ...(spec.ca.pathLength !== undefined ? [uint(Uint8Array.of(spec.ca.pathLength))] : [])];
    exts.push(ext('2.5.29.19', true, seq(...inner)));
  }
  if (spec.keyUsage === 'ca') exts.push(ext('2.5.29.15', true, bitString(Uint8Array.of(0x06), 1)));
  if (spec.keyUsage === 'leaf') exts.push(ext('2.5.29.15', true, bitString(Uint8Array.of(0x80), 7)));
  if (spec.sanUris?.length) exts.push(ext('2.5.29.17', false, seq(...spec.sanUris.map((u) => tlv(0x86, new TextEncoder().encode(u))))));
  const alg = seq(oid(OID.sm2WithSm3));
  const spki = seq(seq(oid(OID.ecPublicKey), oid(OID.sm2Curve)), bitString(spec.publicKey));
  const serial = spec.serial ?? 1;
  const tbs = seq(
    explicit(0, uint(Uint8Array.of(2))), uint(Uint8Array.of((serial >> 8) & 0xff, serial & 0xff)), alg, name(spec.issuer),
    seq(time(spec.notBefore), time(spec.notAfter)), name(spec.subject), spki, ...(exts.length ? [explicit(3, seq(...exts))] : []),
  );
  const sig = rsToDer(sign('sm2', spec.issuerPrivateKey, tbs));
  return seq(tbs, alg, bitString(sig));
}

export const NOT_BEFORE = new Date('2023-01-01T00:00:00Z');
export const NOT_AFTER = new Date('2033-01-01T00:00:00Z');

/** An SM2 root CA and an intermediate CA under it (pathLength 0), with their keys. */
export interface Sm2Pki {
  rootKey: KeyPair;
  interKey: KeyPair;
  root: Uint8Array;
  inter: Uint8Array;
  /** A leaf certificate for `publicKey` signed by the intermediate. */
  leaf(publicKey: Uint8Array, over?: Partial<Sm2CertSpec>): Uint8Array;
}

export function sm2Pki(prefix = 'Test'): Sm2Pki {
  const rootKey = generateKeyPair('sm2');
  const interKey = generateKeyPair('sm2');
  const root = sm2Certificate({ subject: `${prefix} Root CA`, issuer: `${prefix} Root CA`, publicKey: rootKey.publicKey, issuerPrivateKey: rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: {}, keyUsage: 'ca' });
  const inter = sm2Certificate({ subject: `${prefix} Issuing CA`, issuer: `${prefix} Root CA`, publicKey: interKey.publicKey, issuerPrivateKey: rootKey.privateKey, notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: { pathLength: 0 }, keyUsage: 'ca', serial: 2 });
  return {
    rootKey, interKey, root, inter,
    leaf: (publicKey, over = {}) => sm2Certificate({
      subject: 'Example Org', issuer: `${prefix} Issuing CA`, publicKey, issuerPrivateKey: interKey.privateKey,
      notBefore: NOT_BEFORE, notAfter: NOT_AFTER, ca: false, keyUsage: 'leaf', serial: 3, ...over,
    }),
  };
}
