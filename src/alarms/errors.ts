/** Errors of ops alarms (src/alarms, docs/alarms.md). */
import type { ErrorList, Registered } from '../codec/index.ts';

export const ALARM_ERRORS = {
  ALARM_SETTINGS_INVALID: 'alarm settings are not valid (a threshold out of range, a webhook that is not http(s) with a 16-character secret, SMTP settings)',
  ALARM_SMTP_FAILED: 'an alarm e-mail could not be sent (connection, authentication or the server refused it); the message names the step',
  ALARM_WEBHOOK_FAILED: 'an alarm webhook did not answer 2xx in time',
  ALARMS_NOT_RUNNING: 'this node runs no alarms (start it with a data dir)',
} as const satisfies ErrorList;

export type AlarmErrorCode = keyof typeof ALARM_ERRORS;

declare module '../codec/errors.ts' {
  interface ErrorCodes extends Registered<typeof ALARM_ERRORS, 'alarms'> {}
}
