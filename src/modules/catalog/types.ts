/**
 * The data catalog (目录链): datasets owned by an organisation's DID, with their distributions and
 * access services, themes, update frequency, sensitivity and versions — the records the
 * `catalog` module keeps and the schemas of what publishers send. DCAT 3 / DCAT-AP 3 terms are
 * named beside each field; src/data renders them as JSON-LD and Turtle.
 */
import { z } from '../../codec/schemas.ts';

export const CATALOG = 'catalog';

/** Sensitivity levels of public data: 公开 (open), 有条件开放 (open on conditions), 不予开放 (not open). */
export const SENSITIVITIES = ['public', 'conditional', 'closed'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];
export const SENSITIVITY_ZH: Readonly<Record<Sensitivity, string>> = { public: '公开', conditional: '有条件开放', closed: '不予开放' };

/** EU data themes (dcat:theme, publications.europa.eu/resource/authority/data-theme). */
export const THEMES = ['AGRI', 'ECON', 'EDUC', 'ENER', 'ENVI', 'GOVE', 'HEAL', 'INTR', 'JUST', 'REGI', 'SOCI', 'TECH', 'TRAN'] as const;
export type Theme = (typeof THEMES)[number];
/** EU update frequencies (dct:accrualPeriodicity, publications.europa.eu/resource/authority/frequency). */
export const FREQUENCIES = ['CONT', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'QUARTERLY', 'ANNUAL', 'IRREG', 'NEVER', 'UNKNOWN'] as const;
export type Frequency = (typeof FREQUENCIES)[number];
/** Kinds of access service: an API endpoint, a file server, a privacy-computing service. */
export const SERVICE_KINDS = ['api', 'file', 'privacy-computing'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export const CATALOG_LIMITS = { keywords: 20, distributions: 16, services: 8, title: 200, description: 4000, url: 512 } as const;
export const DATASET_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Text in Chinese and/or English (dct:title, dct:description with language tags). */
export interface Text {
  zh?: string;
  en?: string;
}

export interface Distribution {
  /** Unique within the dataset. */
  id: string;
  title?: Text;
  /** IANA media type (dcat:mediaType), e.g. text/csv. */
  mediaType: string;
  /** dcat:accessURL: where it is reached (a landing page, an API). */
  accessUrl: string;
  downloadUrl?: string;
  byteSize?: number;
  /** SM3 of the file (spdx:checksum). */
  checksum?: string;
  /** Id of the access service (dcat:accessService) that serves it. */
  service?: string;
}

export interface AccessService {
  id: string;
  title: Text;
  kind: ServiceKind;
  /** dcat:endpointURL. */
  endpointUrl: string;
  /** dcat:endpointDescription (an OpenAPI document, a service description). */
  endpointDescription?: string;
}

/** What a publisher sends for a dataset (and for a new version of it). */
export interface DatasetInput {
  id: string;
  title: Text;
  description: Text;
  keywords: string[];
  themes: Theme[];
  frequency: Frequency;
  sensitivity: Sensitivity;
  /** dct:license: a licence URL. */
  license?: string;
  distributions: Distribution[];
  services: AccessService[];
}

/** A dataset as the chain keeps it, at `catalog/ds/<id>` (current) and `catalog/dsv/<id>/<version>`. */
export interface DatasetRecord extends DatasetInput {
  /** The publishing organisation's DID (dct:publisher); only it may revise or withdraw. */
  owner: string;
  /** 1 for the first publication; each revision adds one (dcat:version). */
  version: number;
  status: 'active' | 'withdrawn';
  /** Block time of the first publication (dct:issued) and of this version (dct:modified), ms. */
  issued: number;
  modified: number;
  height: number;
  tx: string;
}

const text = (max: number) => z.strictObject({
  zh: z.string().min(1).max(max).optional(),
  en: z.string().min(1).max(max).optional(),
}).refine((t) => t.zh !== undefined || t.en !== undefined, 'give the text in Chinese (zh), English (en) or both');
const url = z.string().max(CATALOG_LIMITS.url).regex(/^https?:\/\/[^\s<>"{}|\\^`]+$/, 'an http(s) URL without spaces');
const localId = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,31}$/, 'an id of 1-32 lowercase letters, digits, ".", "_" or "-"');

export const distributionSchema = z.strictObject({
  id: localId,
  title: text(CATALOG_LIMITS.title).optional(),
  mediaType: z.string().max(128).regex(/^[\w.+-]+\/[\w.+-]+$/, 'an IANA media type such as text/csv'),
  accessUrl: url,
  downloadUrl: url.optional(),
  byteSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  checksum: z.string().regex(/^[0-9a-f]{64}$/, 'the SM3 of the file: 64 lowercase hex digits').optional(),
  service: localId.optional(),
});
export const serviceSchema = z.strictObject({
  id: localId,
  title: text(CATALOG_LIMITS.title),
  kind: z.enum(SERVICE_KINDS, `kind is one of ${SERVICE_KINDS.join(', ')}`),
  endpointUrl: url,
  endpointDescription: url.optional(),
});

export const datasetInputSchema = z.strictObject({
  id: z.string().regex(DATASET_ID_RE, 'a dataset id is 1-64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'),
  title: text(CATALOG_LIMITS.title),
  description: text(CATALOG_LIMITS.description),
  keywords: z.array(z.string().min(1).max(64)).max(CATALOG_LIMITS.keywords).default([]),
  themes: z.array(z.enum(THEMES, `a theme is one of ${THEMES.join(', ')} (EU data themes)`)).min(1, 'name at least one theme').max(THEMES.length),
  frequency: z.enum(FREQUENCIES, `frequency is one of ${FREQUENCIES.join(', ')}`),
  sensitivity: z.enum(SENSITIVITIES, 'sensitivity is public (公开), conditional (有条件开放) or closed (不予开放)'),
  license: url.optional(),
  distributions: z.array(distributionSchema).min(1, 'a dataset has at least one distribution (DCAT-AP: dcat:distribution)').max(CATALOG_LIMITS.distributions),
  services: z.array(serviceSchema).max(CATALOG_LIMITS.services).default([]),
}).superRefine((d, ctx) => {
  const dup = (ids: string[], what: string) => {
    const seen = new Set<string>();
    for (const id of ids) {
      if (seen.has(id)) ctx.addIssue({ code: 'custom', message: `${what} id "${id}" appears twice` });
      seen.add(id);
    }
  };
  dup(d.distributions.map((x) => x.id), 'distribution');
  dup(d.services.map((x) => x.id), 'service');
  if (new Set(d.themes).size !== d.themes.length) ctx.addIssue({ code: 'custom', message: 'a theme appears twice' });
  for (const x of d.distributions) {
    if (x.service !== undefined && !d.services.some((s) => s.id === x.service)) {
      ctx.addIssue({ code: 'custom', path: ['distributions'], message: `distribution "${x.id}" names service "${x.service}", which the dataset does not list` });
    }
  }
}) as unknown as z.ZodType<DatasetInput>;

/** The IRI a dataset is known by in exports, policies and grants: `urn:shulian:<chain>:dataset:<id>`. */
export function datasetIri(chain: string, id: string): string {
  return `urn:shulian:${chain}:dataset:${id}`;
}
