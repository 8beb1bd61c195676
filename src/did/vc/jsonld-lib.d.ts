/**
 * The part of the `jsonld` package (digitalbazaar/jsonld.js, JSON-LD 1.1 processing and RDF
 * Dataset Canonicalization through rdf-canonize) that src/did/vc/jsonld.ts and the SHACL tests use. The package
 * ships no type declarations.
 */
declare module 'jsonld' {
  export interface RemoteDocument {
    contextUrl: string | null;
    documentUrl: string;
    document: unknown;
    /** 'static': the document never changes, so jsonld keeps its processed form across calls. */
    tag?: 'static';
  }
  export type DocumentLoader = (url: string) => Promise<RemoteDocument>;
  export interface JsonLdEvent {
    code: string;
    level: string;
    message: string;
    details?: Record<string, unknown>;
  }
  export type EventHandler = (o: { event: JsonLdEvent; next: () => void }) => void;
  export interface Options {
    documentLoader?: DocumentLoader;
    base?: string | null;
    safe?: boolean;
    eventHandler?: EventHandler | EventHandler[];
    algorithm?: string;
    format?: string;
    canonizeOptions?: { algorithm?: string; maxWorkFactor?: number; maxDeepIterations?: number };
  }
  const jsonld: {
    expand(input: unknown, options?: Options): Promise<unknown[]>;
    canonize(input: unknown, options?: Options): Promise<string>;
    /** JSON-LD to RDF (N-Quads with format 'application/n-quads'): the DCAT export's SHACL test. */
    toRDF(input: unknown, options?: Options): Promise<unknown>;
  };
  export default jsonld;
}
