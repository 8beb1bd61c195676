/**
 * Credential verification throughput, one core: Shulian's verifyCredential against
 * @digitalbazaar/vc's verifyCredential (DataIntegrityProof with the eddsa-jcs-2022 cryptosuite),
 * both verifying the same pool of eddsa-jcs-2022 credentials issued by a did:key, in the same
 * process, in alternating rounds. Both do the full job: structure and validity checks, did:key
 * resolution, JCS, SHA-256 and Ed25519; Shulian also reads each credential as JSON-LD (protected
 * terms, type IRIs, undefined terms — docs/credentials.md §1), which the peer's JCS path does
 * not. The pool holds more credentials than Shulian's JSON-LD cache (512), differing in their
 * `id` as an issuer's credentials do: they share one JSON-LD shape, so Shulian expands the first
 * and reuses its check for the rest (src/did/vc/jsonld-shape.ts; identifiers do not change what
 * the check finds). `distinctShapesPerSec` is the rate when every credential has a shape of its
 * own (a different `name`), so each is expanded. Neither fetches anything: the peer's
 * documentLoader answers from the contexts bundled in src/did/vc and builds did:key documents
 * locally. Also reports Shulian's rates for sm2-jcs-2024 (SM2 + SM3) and eddsa-rdfc-2022 (RDFC-1.0).
 */
import { generateKeyPair } from '../src/crypto/index.ts';
import {
  bundledContext, combineResolvers, didKeyResolver, issueCredential, keyPairSigner, shulianKeyResolver, verifyCredential,
  type JsonObject, type KeyResolver, type VerifiableCredential,
} from '../src/did/vc/index.ts';
import { sideBySide, sample, type Sample } from './lib/sample.ts';
import type { BenchResult } from './result.ts';

/** Short alternating rounds, so both libraries see the same machine load. */
const ROUND_MS = 400;
const ROUNDS = 12;

interface LoadedDocument { contextUrl: null; documentUrl: string; document: unknown }

// The peer libraries ship no type declarations: they are loaded by name and typed here.
interface PeerVc {
  verifyCredential(o: { credential: unknown; suite: unknown; documentLoader: (url: string) => Promise<LoadedDocument> }): Promise<{ verified: boolean; error?: { message?: string } }>;
}
interface PeerDataIntegrity { DataIntegrityProof: new (o: { cryptosuite: unknown }) => unknown }
interface PeerJcsSuite { createVerifyCryptosuite(): unknown }
const load = <T>(name: string): Promise<T> => import(name) as Promise<T>;

/** The peer's documentLoader: bundled contexts and locally built did:key documents; never the network. */
async function documentLoader(url: string): Promise<LoadedDocument> {
  const ctx = bundledContext(url);
  if (ctx) return { contextUrl: null, documentUrl: url, document: ctx };
  if (url.startsWith('did:key:z6Mk')) {
    const [did, fragment] = url.split('#') as [string, string | undefined];
    const mb = did.slice('did:key:'.length);
    const vmId = `${did}#${mb}`;
    const vm = { id: vmId, type: 'Multikey', controller: did, publicKeyMultibase: mb };
    if (fragment !== undefined) {
      if (fragment !== mb) throw new Error(`unknown verification method ${url}`);
      return { contextUrl: null, documentUrl: url, document: { '@context': 'https://w3id.org/security/multikey/v1', ...vm } };
    }
    return {
      contextUrl: null, documentUrl: url,
      document: {
        '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'], id: did, verificationMethod: [vm],
        authentication: [vmId], assertionMethod: [vmId], capabilityInvocation: [vmId], capabilityDelegation: [vmId],
      },
    };
  }
  throw new Error(`document loader: ${url} is not bundled, and this bench never uses the network`);
}

/** Credentials in the pool: more than the JSON-LD cache (512) holds. */
const POOL = 1024;

function unsigned(issuer: string, n = 0, name = 'Alumni Credential'): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
    id: `urn:uuid:58172aac-d8ba-11ed-83dd-${n.toString(16).padStart(12, '0')}`,
    type: ['VerifiableCredential', 'AlumniCredential'],
    name,
    description: 'A minimum viable example of an Alumni Credential.',
    issuer,
    validFrom: '2023-01-01T00:00:00Z',
    credentialSubject: { id: 'did:example:abcdefgh', alumniOf: 'The School of Examples' },
  };
}

/** One verification that must succeed. */
const checked = (verifyOnce: () => Promise<boolean>) => async (): Promise<void> => {
  if (!(await verifyOnce())) throw new Error('bench: a valid credential failed to verify');
};
/** Runs `verifyOnce` sequentially for about `ms`, 8 at a time. */
const rate = (ms: number, verifyOnce: () => Promise<boolean>): Promise<Sample> => sample(ms, checked(verifyOnce), 8);

export default async function run(): Promise<BenchResult> {
  const key = generateKeyPair('ed25519');
  const signer = keyPairSigner(key, { didMethod: 'key' });
  const pool: VerifiableCredential[] = [];
  for (let i = 0; i < POOL; i++) pool.push(await issueCredential(unsigned(signer.controller, i), signer));
  let next = 0;
  const take = () => pool[next++ % POOL]!;
  const vc = pool[0]!;
  const resolver: KeyResolver = didKeyResolver();

  const dbVc = await load<PeerVc>('@digitalbazaar/vc');
  const { DataIntegrityProof } = await load<PeerDataIntegrity>('@digitalbazaar/data-integrity');
  const { createVerifyCryptosuite } = await load<PeerJcsSuite>('@digitalbazaar/eddsa-jcs-2022-cryptosuite');
  const suite = new DataIntegrityProof({ cryptosuite: createVerifyCryptosuite() });
  const theirs = async (): Promise<boolean> => (await dbVc.verifyCredential({ credential: take(), suite, documentLoader })).verified === true;
  const ours = async (): Promise<boolean> => (await verifyCredential(take(), { resolver })).verified;

  // Both must accept the credential before either is timed.
  const first = await dbVc.verifyCredential({ credential: vc, suite, documentLoader });
  if (!first.verified) throw new Error(`bench: @digitalbazaar/vc rejects the credential: ${String(first.error?.message ?? JSON.stringify(first))}`);
  if (!(await ours())) throw new Error('bench: Shulian rejects the credential');

  const sm2Key = generateKeyPair('sm2');
  const sm2Signer = keyPairSigner(sm2Key, { fragment: 'multikey' });
  const sm2Pool: VerifiableCredential[] = [];
  for (let i = 0; i < POOL; i++) sm2Pool.push(await issueCredential(unsigned(sm2Signer.controller, i), sm2Signer));
  const sm2Resolver = combineResolvers(shulianKeyResolver());
  let sm2Next = 0;
  const oursSm2 = async (): Promise<boolean> => (await verifyCredential(sm2Pool[sm2Next++ % POOL]!, { resolver: sm2Resolver })).verified;
  const rdfcPool: VerifiableCredential[] = [];
  for (let i = 0; i < 64; i++) rdfcPool.push(await issueCredential(unsigned(signer.controller, POOL + i), signer, { cryptosuite: 'eddsa-rdfc-2022' }));
  let rdfcNext = 0;
  // RDF canonicalisation is not cached: a small pool measures it all the same.
  const oursRdfc = async (): Promise<boolean> => (await verifyCredential(rdfcPool[rdfcNext++ % rdfcPool.length]!, { resolver })).verified;

  // Every credential a shape of its own: the JSON-LD expansion is paid each time (pool > cache).
  const distinct: VerifiableCredential[] = [];
  for (let i = 0; i < POOL; i++) distinct.push(await issueCredential(unsigned(signer.controller, i, `Alumni Credential ${i}`), signer));
  let distinctNext = 0;
  const oursDistinct = async (): Promise<boolean> => (await verifyCredential(distinct[distinctNext++ % POOL]!, { resolver })).verified;

  await rate(500, ours);
  await rate(500, theirs);
  // Alternating rounds: both libraries see the same machine load.
  const [o, p] = await sideBySide(ROUNDS, ROUND_MS, checked(ours), checked(theirs), 8);
  const s = await rate(2000, oursSm2);
  const rd = await rate(2000, oursRdfc);
  const ds = await rate(2000, oursDistinct);
  const value = (o.n * 1000) / o.ms;
  const limit = (p.n * 1000) / p.ms;
  return {
    bench: 'vc-verify',
    value: Math.round(value),
    unit: 'credentials/s',
    limit: Math.round(limit),
    limitWhat: '@digitalbazaar/vc 7 verifyCredential with DataIntegrityProof + eddsa-jcs-2022 on the same credentials (a pool of 1024), same process, one core; Shulian also checks each as JSON-LD',
    ratio: Number((value / limit).toFixed(2)),
    target: 2,
    cryptosuite: 'eddsa-jcs-2022',
    issuer: signer.controller,
    // The same comparison per CPU-second of this process: steadier when other work shares the machine.
    perCpuSecond: Math.round((o.n * 1000) / o.cpuMs),
    limitPerCpuSecond: Math.round((p.n * 1000) / p.cpuMs),
    cpuRatio: Number(((o.n / o.cpuMs) / (p.n / p.cpuMs)).toFixed(2)),
    seconds: Number(((o.ms + p.ms) / 1000).toFixed(1)),
    sm2Jcs2024PerSec: Math.round((s.n * 1000) / s.ms),
    eddsaRdfc2022PerSec: Math.round((rd.n * 1000) / rd.ms),
    distinctShapesPerSec: Math.round((ds.n * 1000) / ds.ms),
  };
}
