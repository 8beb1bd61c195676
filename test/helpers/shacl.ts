/**
 * SHACL validation with a real engine (rdf-validate-shacl) against the DCAT-AP 3.0.0 shapes
 * vendored in test/fixtures/dcat-ap (their source and licence are in the README there). Turtle is
 * parsed with n3; JSON-LD is turned into RDF with jsonld (no document loading: the contexts used
 * are inline).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Quad } from 'n3';
import datasetFactory from '@rdfjs/dataset';
import SHACLValidator from 'rdf-validate-shacl';
import jsonld from 'jsonld';
import { repoRoot } from './node-process.ts';

const SHAPES = join(repoRoot, 'test', 'fixtures', 'dcat-ap', 'dcat-ap-3.0.0-shapes.ttl');

export const parseTurtle = (text: string): Quad[] => new Parser().parse(text);

let validator: SHACLValidator | undefined;
function shapes(): SHACLValidator {
  validator ??= new SHACLValidator(datasetFactory.dataset(parseTurtle(readFileSync(SHAPES, 'utf8'))) as never);
  return validator;
}

export interface ShaclOutcome {
  conforms: boolean;
  results: Array<{ message: string; path: string; focus: string; constraint: string }>;
}

/** Validates RDF quads against the DCAT-AP 3.0.0 shapes. */
export async function validateDcatAp(quads: Quad[]): Promise<ShaclOutcome> {
  const report = await shapes().validate(datasetFactory.dataset(quads) as never);
  return {
    conforms: report.conforms,
    results: report.results.map((r) => ({
      message: r.message.map((m) => m.value).join(' '), path: r.path?.value ?? '', focus: r.focusNode?.value ?? '', constraint: r.sourceConstraintComponent?.value ?? '',
    })),
  };
}

/** JSON-LD to quads (jsonld.toRDF as N-Quads, parsed by n3). */
export async function jsonLdQuads(doc: object): Promise<Quad[]> {
  const nquads = (await jsonld.toRDF(doc as never, { format: 'application/n-quads' })) as unknown as string;
  return new Parser({ format: 'N-Quads' }).parse(nquads);
}
