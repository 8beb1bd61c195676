/**
 * Typings for the RDF packages the SHACL tests use (n3 and @rdfjs/dataset ship none of their
 * own here): only what test/helpers/shacl.ts calls.
 */
declare module 'n3' {
  export interface Term { termType: string; value: string }
  export interface Quad { subject: Term; predicate: Term; object: Term; graph: Term }
  export class Parser {
    constructor(options?: { format?: string });
    parse(input: string): Quad[];
  }
}
declare module '@rdfjs/dataset' {
  const factory: { dataset(quads?: unknown[]): unknown };
  export default factory;
}
// jsonld: src/did/vc/jsonld-lib.d.ts
