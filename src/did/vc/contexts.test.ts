import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { BUNDLED_CONTEXTS, CREDENTIALS_EXAMPLES_V2, CREDENTIALS_V2, DATA_INTEGRITY_V2, DID_V1, MULTIKEY_V1, UNDEFINED_TERMS_V2, bundledContext } from './index.ts';

const require = createRequire(import.meta.url);

test('bundled contexts are the published documents, unchanged', async () => {
  // The W3C/CCG context packages (devDependencies) carry the documents as published.
  const cc = (await import('@digitalbazaar/credentials-context' as string)) as { contexts: Map<string, unknown> };
  const published = new Map<string, unknown>(cc.contexts);
  for (const p of ['@digitalbazaar/data-integrity-context', '@digitalbazaar/multikey-context', 'did-context']) {
    for (const [url, doc] of (require(p) as { contexts: Map<string, unknown> }).contexts) published.set(url, doc);
  }
  for (const url of [CREDENTIALS_V2, DATA_INTEGRITY_V2, MULTIKEY_V1, DID_V1, UNDEFINED_TERMS_V2]) {
    assert.deepEqual(bundledContext(url), published.get(url), url);
  }
  assert.deepEqual(bundledContext(CREDENTIALS_EXAMPLES_V2), { '@context': { '@vocab': 'https://www.w3.org/ns/credentials/examples#' } });
  assert.deepEqual([...BUNDLED_CONTEXTS].sort(), [CREDENTIALS_V2, CREDENTIALS_EXAMPLES_V2, DATA_INTEGRITY_V2, MULTIKEY_V1, DID_V1, UNDEFINED_TERMS_V2].sort());
  assert.equal(bundledContext('https://example.org/unknown'), undefined);
  const copy = bundledContext(CREDENTIALS_V2)!;
  copy['@context'] = null;
  assert.notEqual(bundledContext(CREDENTIALS_V2)!['@context'], null, 'callers get copies');
});
