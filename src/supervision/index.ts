/**
 * supervision — the rule engine service (监管服务, docs/supervision.md): rules from the
 * governance chain over every chain's committed txs, alerts with inclusion proofs, statistics,
 * signed webhooks. Embedded in a node or standalone (`shulian supervise`).
 */
export { SUPERVISION_ERRORS, type SupervisionErrorCode } from './errors.ts';
export { RuleEngine, alertId, type ActiveRule, type AlertDraft, type EngineStats, type RuleContext } from './engine.ts';
export { nodeFeed, clientFeed, type Feed, type FeedChain } from './feed.ts';
export { loadRules, activeRule, type LoadedRules } from './loader.ts';
export { SupervisionService, type SupervisionOptions, type SupervisionStatus } from './service.ts';
export { SupervisionStore, STORE_LIMITS, type Cursor, type OutboxEntry } from './store.ts';
export { PERIODS, bucketOf, blockStats, statKey, type Period } from './stats.ts';
export { WebhookSender, checkWebhook, webhookSignature, WEBHOOK_RETRY, type Webhook, type WebhookRetry } from './webhooks.ts';
export { SlidingWindows, WINDOW_LIMITS } from './window.ts';
export { PendingSequences, SEQUENCE_LIMITS } from './sequence.ts';
