// The one entry of every worker thread (spawnWorker in ./worker.ts). Plain .mjs so it runs from
// either tree. argv: the URL of the thread's body (a .ts file beside its pool) and the name of
// the function it exports that runs the thread. In dist/ (compiled JavaScript,
// scripts/build-dist.mjs) the body's .js sits where the .ts was named, and is loaded; in src/ this
// thread registers tsx (a parent that registered tsx through its API did so for its own thread
// only) and loads the TypeScript.
import { existsSync } from 'node:fs';

const [body, start] = process.argv.slice(2);
const compiled = new URL(body.replace(/\.ts$/, '.js'));
let m;
if (existsSync(compiled)) {
  m = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  m = await import(body);
}
if (typeof m[start] !== 'function') throw new Error(`the worker body ${body} exports no function ${start}`);
m[start]();
