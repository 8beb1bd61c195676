// Worker entry for VerifyPool. Plain .mjs so it loads whether the parent runs under
// `node --import tsx` or registered tsx itself through `tsx/esm/api`: it registers tsx in
// this thread, then loads the TypeScript implementation.
import { register } from 'tsx/esm/api';

register();
const { startVerifyWorker } = await import('./verify-worker-impl.ts');
startVerifyWorker();
