/**
 * The `did` module's face as it was one file: its records (types.ts), state keys (keys.ts) and
 * signing rule (authorize.ts). Kept for importers; new code imports those files.
 */
export * from './types.ts';
export * from './keys.ts';
export * from './authorize.ts';
