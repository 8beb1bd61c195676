/**
 * Wire types of ops alarms (issue #25 item 4, docs/alarms.md): thresholds on a node's metrics,
 * where alarms are delivered (signed webhooks, e-mail over SMTP), and the alarm history. Secrets
 * are write-only: settings read back say whether one is set, never what it is.
 */

/** Thresholds; a field absent or null: that alarm is off. */
export interface AlarmThresholds {
  /** A chain's height has not moved for this many seconds while txs wait in its mempool. */
  heightStalledS?: number | null;
  /** Validators of a chain this node does not see up (itself or connected), at least this many. */
  validatorsDown?: number | null;
  /** A chain's mempool holds at least this many txs. */
  mempoolTxs?: number | null;
  /** The data dir's file system is fuller than this, percent (1..100). */
  diskPercent?: number | null;
  /** The event loop's p99 delay is above this, ms. */
  eventLoopLagMs?: number | null;
  /** The node's own gateway has at least this many packets waiting on one route (from a chain to another). */
  gatewayBacklog?: number | null;
  /** A condition must hold this long before the alarm fires (s, default 0). */
  forS?: number;
  /** How often the figures are checked (s, 1..3600, default 5). */
  checkS?: number;
}

export interface AlarmWebhookSettings {
  id: string;
  url: string;
  /** Write-only: given to set it, never returned (`secretSet` says whether one is). */
  secret?: string;
  secretSet?: boolean;
}

export interface AlarmSmtpSettings {
  host: string;
  port: number;
  /** `tls`: TLS from the first byte (port 465); `plain`: no encryption (a local relay). */
  security: 'tls' | 'plain';
  user?: string;
  /** Write-only, as webhook secrets. */
  password?: string;
  passwordSet?: boolean;
  from: string;
  to: string[];
}

export interface AlarmSettings {
  thresholds: AlarmThresholds;
  webhooks: AlarmWebhookSettings[];
  smtp?: AlarmSmtpSettings | null;
}

export type AlarmKind = 'height-stalled' | 'validators-down' | 'mempool-full' | 'disk-full' | 'event-loop-lag' | 'gateway-backlog';

/** One entry of the history: an alarm fired or resolved. */
export interface AlarmEvent {
  seq: number;
  id: string;
  kind: AlarmKind;
  /** The chain it is about, if any. */
  chain?: string;
  state: 'firing' | 'resolved';
  time: number;
  /** The measured value and the threshold it crossed. */
  value: number;
  threshold: number;
  message: string;
  /** Deliveries: per webhook id and "smtp", delivered, pending or failed (with the last error). */
  deliveries: Record<string, { status: 'pending' | 'delivered' | 'failed'; attempts: number; error?: string }>;
}
