// Worker entry for AdmissionPool. Plain .mjs so it loads whether the parent runs under
// `node --import tsx` or registered tsx itself (bin/shulian.mjs): it registers tsx in this
// thread, then loads the TypeScript implementation.
import { register } from 'tsx/esm/api';

register();
const { startAdmissionWorker } = await import('./worker-impl.ts');
startAdmissionWorker();
