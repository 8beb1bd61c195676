/**
 * `did.bindCertificate` (docs/did-method.md "X.509 binding"): an organisation binds an X.509
 * certificate chain, checked up to one of the alliance's configured root CAs, to its DID.
 *
 * Binding rule: the leaf certificate's public key must be one of the DID's current (not
 * revoked) SM2 verification keys, compared as curve points (both sides are the uncompressed
 * point 04‖X‖Y, so equal bytes ⇔ equal points). The CA thereby vouches for the key the DID
 * signs with; a SubjectAltName is not needed and not consulted. P-256 chains verify
 * (src/did/x509) but a P-256 leaf key can never be a did:shulian key, so it cannot be bound.
 *
 * Validity is judged at the block time `ctx.time`, never the wall clock. The bindings live under
 * their own state key `did/certs/<id>` beside the document `did/doc/<id>` (the document's
 * stored shape is strict, so they are not folded into it); a chain is stored by its leaf's SM3
 * fingerprint and summary, not its bytes.
 */
import { z } from '../../codec/schemas.ts';
import { method, ModuleError, type MethodDef, type ModuleContext } from '../../runtime/index.ts';
import { parseShulianDid } from '../../crypto/index.ts';
import {
  loadTrustRoots, MAX_CERT_BYTES, MAX_CHAIN_LENGTH, verifyCertificateChain, type CertificateInput, type TrustRoots,
} from '../../crypto/x509/index.ts';
import { didKey } from './keys.ts';
import { shulianDidArg, type BoundCertificate, type DidDocState } from './types.ts';

export { certsKey, certsStateKey } from './keys.ts';
export type { BoundCertificate, CertificateBindingsState } from './types.ts';

/** At most this many certificates bound to one DID. */
export const MAX_BOUND_CERTIFICATES = 10;
/** Gas per certificate in the chain (parsing plus one signature check). */
export const CERT_CHECK_GAS = 40_000;

const didArg = shulianDidArg;
const base64Der = z.string().min(16).max(Math.ceil(MAX_CERT_BYTES / 3) * 4).regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 of a DER certificate');

export const bindCertificateArgs = z.strictObject({
  /** The DID to bind to; the sender's own when left out. */
  did: didArg.optional(),
  /** Leaf first, then intermediates; the root may be included or left off. */
  chain: z.array(base64Der).min(1).max(MAX_CHAIN_LENGTH),
});
export type BindCertificateArgs = z.infer<typeof bindCertificateArgs>;

function loadForUpdate(ctx: ModuleContext, did: string): DidDocState {
  const st = ctx.read(didKey.doc(parseShulianDid(did).id));
  if (!st) throw new ModuleError('DID_NOT_FOUND', `${did} has no DID document on chain ${ctx.chain}; create one with did.create before binding a certificate`);
  if (st.deactivated) throw new ModuleError('DID_DEACTIVATED', `${did} was deactivated at height ${st.updated.height}; a deactivated DID cannot bind certificates`);
  if (ctx.sender !== did && !st.controllers.includes(ctx.sender)) {
    throw new ModuleError('DID_NOT_CONTROLLER', `${ctx.sender} may not bind certificates to ${did}: only the DID itself or one of its controllers may`);
  }
  return st;
}

/**
 * The `bindCertificate` method of the `did` module, trusting `roots` (the alliance's configured
 * root CAs, PEM or DER). Roots are parsed here, so a bad configuration fails at startup.
 */
export function createBindCertificateMethod(roots: TrustRoots | readonly CertificateInput[]): MethodDef<unknown> {
  const trust = 'roots' in roots ? roots : loadTrustRoots(roots as readonly CertificateInput[]);
  return method<BindCertificateArgs>({
    doc: 'Bind an X.509 chain (SM2 or P-256, leaf first) ending at a configured root CA to a DID; the leaf must certify one of the DID\'s current SM2 keys.',
    args: bindCertificateArgs,
    gas: 5_000,
    run(ctx, args) {
      const did = args.did ?? ctx.sender;
      const st = loadForUpdate(ctx, did);
      ctx.charge(CERT_CHECK_GAS * args.chain.length, 'checking the certificate chain');
      const chain = args.chain.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
      const v = verifyCertificateChain(chain, trust, { at: new Date(ctx.time) });
      if (!v.ok) throw new ModuleError(v.code, v.reason);
      const pk = Buffer.from(v.leafPublicKey).toString('hex');
      const key = v.leafKeySuite === 'sm2' ? st.keys.find((k) => k.revokedAt === undefined && k.suite === 'sm2' && k.publicKey === pk) : undefined;
      if (!key) {
        const keys = st.keys.filter((k) => k.revokedAt === undefined).map((k) => `${k.id} (${k.suite})`).join(', ');
        throw new ModuleError('X509_LEAF_KEY_NOT_DID', `the leaf certificate "${v.subject}" certifies a ${v.leafKeySuite.toUpperCase()} key that is not a current key of ${did} (its keys: ${keys || 'none'}); have the CA certify one of the DID's SM2 keys, or add the certified key with did.addKey first`);
      }
      const sk = didKey.certs(parseShulianDid(did).id);
      const prior = ctx.read(sk) ?? { did, certificates: [] };
      const fingerprint = v.leaf.fingerprint;
      if (prior.certificates.some((c) => c.fingerprint === fingerprint)) {
        throw new ModuleError('X509_ALREADY_BOUND', `certificate ${fingerprint} is already bound to ${did}`);
      }
      if (prior.certificates.length >= MAX_BOUND_CERTIFICATES) {
        throw new ModuleError('X509_TOO_MANY_CERTIFICATES', `${did} already has ${MAX_BOUND_CERTIFICATES} bound certificates`);
      }
      const entry: BoundCertificate = {
        fingerprint, subject: v.subject, issuer: v.issuer, notBefore: v.leaf.notBefore.getTime(), notAfter: v.leaf.notAfter.getTime(),
        boundAt: ctx.height, keyId: key.id, root: v.root.fingerprint, tx: ctx.txHash,
      };
      ctx.write(sk, { did, certificates: [...prior.certificates, entry] });
      ctx.emit('CertificateBound', { did, fingerprint, keyId: key.id, subject: v.subject });
      return { did, fingerprint, keyId: key.id };
    },
  });
}
