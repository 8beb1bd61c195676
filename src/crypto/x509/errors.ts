/**
 * Why an X.509 certificate or chain is refused (RFC 5280 path checks). The did module's
 * bindCertificate rejects with these codes unchanged.
 */
import { ShulianError, type ErrorList, type Registered } from '../../codec/index.ts';

export const X509_ERRORS = {
  X509_MALFORMED: 'not a certificate: not PEM or base64 DER, too large, or it does not parse',
  DER_MALFORMED: 'DER bytes that do not decode (truncated, indefinite length, wrong tag)',
  X509_CHAIN_LENGTH: 'a chain has 1 to 5 certificates, leaf first',
  X509_UNSUPPORTED_ALGORITHM: 'a certificate is signed with an algorithm other than SM2-with-SM3 or ECDSA-with-SHA256',
  X509_UNSUPPORTED_KEY: 'a public key that is not an uncompressed EC point on SM2 or P-256',
  X509_NOT_YET_VALID: 'a certificate on the path is not valid yet',
  X509_EXPIRED: 'a certificate on the path has expired',
  X509_ISSUER_MISMATCH: 'a certificate names another issuer than the next certificate\'s subject',
  X509_BAD_SIGNATURE: 'a certificate\'s signature does not verify with its issuer\'s key',
  X509_NOT_CA: 'an issuer on the path is not a CA (basicConstraints cA is not TRUE)',
  X509_NO_KEY_CERT_SIGN: 'an issuer\'s keyUsage lacks keyCertSign',
  X509_PATH_LENGTH: 'the path has more intermediates than an issuer\'s pathLenConstraint allows',
  X509_UNKNOWN_CRITICAL_EXTENSION: 'a certificate has a critical extension this checker does not process',
  X509_UNTRUSTED_ROOT: 'the chain does not end at one of the configured root CAs',
} as const satisfies ErrorList;

export type X509ErrorCode = Exclude<keyof typeof X509_ERRORS, 'DER_MALFORMED'>;

declare module '../../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof X509_ERRORS, 'did/x509'> {}
}

export class X509Error extends ShulianError<X509ErrorCode> {
  constructor(code: X509ErrorCode, message: string) {
    super(code, message);
    this.name = 'X509Error';
  }
}

/** Bytes that are not the DER the reader expects; parseCertificate turns it into X509_MALFORMED. */
export class DerError extends ShulianError<'DER_MALFORMED'> {
  constructor(message: string) {
    super('DER_MALFORMED', message);
    this.name = 'DerError';
  }
}
