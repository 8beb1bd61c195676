/** Typed error used across Shulian: a stable machine `code` plus a message for people. */
export class ShulianError extends Error {
  readonly code: string;
  readonly details?: Record<string, unknown>;
  constructor(code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ShulianError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}
