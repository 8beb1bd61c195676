/**
 * Ops alarms (docs/alarms.md): thresholds on a node's figures, delivered by signed webhooks and
 * e-mail over SMTP, with a persistent history.
 */
export { ALARM_ERRORS, type AlarmErrorCode } from './errors.ts';
export { AlarmService, ALARM_RETRY, alarmSignature, type AlarmRetry, type AlarmServiceOptions } from './service.ts';
export { Conditions, breaches, type Breach, type Transition } from './rules.ts';
export { sendMail, message, type Mail, type SmtpTarget } from './smtp.ts';
export { mergeSettings, redacted } from './settings.ts';
export { HISTORY_MAX, OUTBOX_MAX } from './store.ts';
