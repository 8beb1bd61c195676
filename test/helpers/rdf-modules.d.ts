/**
 * Typings for the RDF packages the SHACL tests use (n3, @rdfjs/dataset, jsonld ship none of their
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
declare module 'jsonld' {
  const jsonld: { toRDF(doc: unknown, options: { format: string }): Promise<unknown> };
  export default jsonld;
}
