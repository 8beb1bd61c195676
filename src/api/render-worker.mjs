// Worker entry for RenderPool (render-pool.ts). Plain .mjs so it runs from either tree: in dist/ (compiled
// JavaScript, scripts/build-dist.mjs) it loads the sibling .js; in src/ it registers tsx in this
// thread (a parent that registered tsx through its API did so for its own thread only) and loads
// the TypeScript.
import { existsSync } from 'node:fs';

const compiled = new URL('./render-worker-impl.js', import.meta.url);
let impl;
if (existsSync(compiled)) {
  impl = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  impl = await import('./render-worker-impl.ts');
}
impl.startRenderWorker();
