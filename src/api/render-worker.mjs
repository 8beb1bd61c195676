// Worker entry for RenderPool (render-pool.ts). Plain .mjs so it loads whether the parent runs
// under `node --import tsx` or registered tsx itself: it registers tsx in this thread, then
// loads the TypeScript implementation.
import { register } from 'tsx/esm/api';

register();
const { startRenderWorker } = await import('./render-worker-impl.ts');
startRenderWorker();
