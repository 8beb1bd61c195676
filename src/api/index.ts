export { buildApi, type ApiOptions } from './server.ts';
export { statusFor, errorBody } from './errors.ts';
