/**
 * Every relative link in README.md and docs/*.md points at a file of this repository, and a link
 * to a heading of a Markdown file names a heading it has (issue #15: the README linked a design
 * file that is not in the repository). Headings become anchors as GitHub makes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { repoRoot } from './helpers/node-process.ts';

/** GitHub's heading anchor: lower case, punctuation other than - and _ dropped, spaces to -. */
function anchorOf(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const base = anchorOf(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('README.md and docs/*.md link only to files (and headings) that exist in the repository', () => {
  const files = ['README.md', 'CHANGELOG.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const f of files) {
    const path = join(repoRoot, f);
    const text = readFileSync(path, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const link = m[1]!;
      if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto
      const [target, anchor] = link.split('#') as [string, string | undefined];
      const file = target === '' ? path : resolve(dirname(path), target);
      if (relative(repoRoot, file).startsWith('..')) {
        broken.push(`${f}: ${link} leaves the repository`);
        continue;
      }
      if (!existsSync(file)) {
        broken.push(`${f}: ${link} (no such file)`);
        continue;
      }
      if (anchor && statSync(file).isFile() && file.endsWith('.md') && !anchorsOf(file).has(decodeURIComponent(anchor))) {
        broken.push(`${f}: ${link} (no such heading in ${relative(repoRoot, file)})`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
