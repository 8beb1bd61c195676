export { buildApi, type ApiOptions } from './server.ts';
export { statusFor, errorBody } from './errors.ts';
export { checkPublicUrl, type ApiSite } from './site.ts';
export { NO_EXTERNAL_CHAINS, type ExternalChainsView } from './routes/external.ts';
export { CONSOLE_DIST } from './console.ts';
