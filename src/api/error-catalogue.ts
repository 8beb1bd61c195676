/**
 * Every error code of the code base, with its meaning and folder: the `*_ERRORS` lists of each
 * folder's errors.ts (src/codec/errors.ts explains the scheme). Found by walking the tree this
 * file runs from (src/ under tsx, dist/ when compiled), so a folder that adds or moves its
 * errors.ts is in the catalogue without a list to keep. Used by the OpenAPI document (openapi.ts)
 * and docs/api.md's code table (scripts/error-codes.ts).
 */
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** One folder's list: where it is declared, its export name, and code → meaning. */
export interface CodeList {
  /** Folder under the source root ("ledger/light"), or "common" for COMMON_ERRORS. */
  folder: string;
  /** The declaring file, relative to the source root's parent ("src/ledger/errors.ts"). */
  file: string;
  name: string;
  codes: Record<string, string>;
}

/** Folders whose codes only clients raise (the SDK, the CLI): no node answers with them. */
export const CLIENT_FOLDERS: ReadonlySet<string> = new Set(['sdk', 'cli']);

/** src/ (or dist/): the parent of this file's folder. */
const SOURCE_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** errors.ts beside TypeScript sources, errors.js in the compiled tree (never errors.d.ts). */
const ERRORS_FILE = /^errors\.(ts|js)$/;

function errorFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) errorFiles(p, out);
    else if (ERRORS_FILE.test(e.name)) out.push(p);
  }
  return out;
}

/** Every *_ERRORS list, "common" first, then by folder. */
export async function loadErrorLists(root: string = SOURCE_ROOT): Promise<CodeList[]> {
  const lists: CodeList[] = [];
  for (const file of errorFiles(root)) {
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (!name.endsWith('_ERRORS') || typeof value !== 'object' || value === null) continue;
      const folder = name === 'COMMON_ERRORS' ? 'common' : relative(root, dirname(file)).split('\\').join('/');
      lists.push({ folder, file: relative(dirname(root), file).split('\\').join('/'), name, codes: value as Record<string, string> });
    }
  }
  return lists.sort((a, b) => (a.folder === 'common' ? -1 : b.folder === 'common' ? 1 : a.folder.localeCompare(b.folder)));
}
