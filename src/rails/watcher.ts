/**
 * A payment institution's deposit watcher: receives its rail's signed webhooks over HTTP, checks
 * them with the RailAdapter, and mints each deposit on the settlement chain with the issuer's key
 * (idempotent on the rail's deposit id, so a redelivered webhook never mints twice). It also
 * follows the chain for `Withdrawal` events naming the issuer and asks the rail to pay them out.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { ShulianError, type JsonValue } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import { settleMint, type ShulianClient } from '../sdk/index.ts';
import type { RailAdapter } from './types.ts';

export interface DepositWatcherOptions {
  client: ShulianClient;
  chain?: string;
  issuerKey: KeyPair;
  rail: RailAdapter;
  port: number;
  host?: string;
  /** How often to look for withdrawals, ms (default 500); 0 = never. */
  pollMs?: number;
  /**
   * Where the watcher keeps the next height to read for withdrawals, so a restart goes on from
   * there instead of reading the chain from block 1. Without it every start reads from block 1
   * (still paying nothing twice: payouts are idempotent on the withdrawal's tx).
   */
  cursorFile?: string;
  log?: (line: string) => void;
}

export interface DepositWatcher {
  url: string;
  /** Webhook URL to give the rail. */
  webhookUrl: string;
  /** Pays out withdrawals committed up to the chain's head; returns how many were paid. */
  syncWithdrawals(): Promise<number>;
  close(): Promise<void>;
}

export async function startDepositWatcher(o: DepositWatcherOptions): Promise<DepositWatcher> {
  const chain = o.chain ?? 'settle';
  const issuer = didFromPublicKey(o.issuerKey.publicKey);
  const log = o.log ?? (() => {});
  const label = o.rail.sandbox ? '[SANDBOX] ' : '';
  const server: Server = createServer((req, res) => {
    void (async () => {
      const reply = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        if (req.method !== 'POST' || req.url !== `/webhooks/${o.rail.name}`) return reply(404, { error: { code: 'NOT_FOUND', message: `POST /webhooks/${o.rail.name} only` } });
        let raw = '';
        for await (const c of req) {
          raw += (c as Buffer).toString('utf8');
          if (raw.length > 64 * 1024) return reply(413, { error: { code: 'BODY_TOO_LARGE', message: 'webhook over 64 KiB' } });
        }
        let ev;
        try {
          ev = o.rail.verifyWebhook(req.headers, raw);
        } catch (e) {
          const err = e as ShulianError;
          log(`${label}rejected webhook: ${err.message}`);
          return reply(401, { error: { code: err.code ?? 'RAIL_SIGNATURE_INVALID', message: err.message } });
        }
        try {
          const r = await settleMint(o.client, o.issuerKey, { to: ev.account, currency: ev.currency, amount: ev.amount, ref: ev.id, memo: `${o.rail.sandbox ? 'SANDBOX ' : ''}deposit ${ev.id} via ${o.rail.name}` }, { chain });
          log(`${label}minted ${ev.amount} ${ev.currency} to ${ev.account} for deposit ${ev.id}${r.duplicate ? ' (already minted)' : ''}`);
          return reply(200, { minted: true, entry: r.entry, duplicate: r.duplicate, sandbox: o.rail.sandbox });
        } catch (e) {
          // The rail retries: answer 5xx so it does.
          log(`${label}mint for deposit ${ev.id} failed: ${(e as Error).message}`);
          return reply(502, { error: { code: (e as ShulianError).code ?? 'MINT_FAILED', message: (e as Error).message } });
        }
      } catch (e) {
        reply(500, { error: { code: 'INTERNAL', message: (e as Error).message } });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const url = `http://${o.host ?? '127.0.0.1'}:${typeof addr === 'object' && addr ? addr.port : o.port}`;

  let next = readCursor(o.cursorFile);
  let saved = next;
  let syncing: Promise<number> | undefined;
  const sync = async (): Promise<number> => {
    const head = (await o.client.chain(chain)).height;
    if (next > head + 1) {
      // A cursor past the chain's head (a data directory restored from an older backup): read it all again.
      log(`${label}withdrawal cursor ${next} is past ${chain}'s head ${head}; reading from block 1 (payouts are idempotent)`);
      next = 1;
    }
    let paid = 0;
    for (; next <= head; next++) {
      const before = paid;
      const b = (await o.client.block(chain, next)) as unknown as { receipts: Array<{ tx: string; status: string; events: Array<{ module: string; type: string; data: JsonValue }> }> };
      for (const r of b.receipts) {
        if (r.status !== 'ok') continue;
        for (const e of r.events) {
          const d = e.data as { issuer?: string; from?: string; currency?: string; amount?: string };
          if (e.module !== 'settlement' || e.type !== 'Withdrawal' || d.issuer !== issuer) continue;
          const p = await o.rail.payout({ ref: `${chain}:${r.tx}`, account: d.from!, currency: d.currency!, amount: d.amount! });
          if (!p.duplicate) paid++;
          log(`${label}paid out ${d.amount} ${d.currency} to ${d.from} (withdrawal ${r.tx})`);
        }
      }
      // Paid up to here: a crash before the write only makes the next start read these again.
      if (paid > before) saved = writeCursor(o.cursorFile, next + 1);
    }
    if (next !== saved) saved = writeCursor(o.cursorFile, next);
    return paid;
  };
  const syncWithdrawals = (): Promise<number> => (syncing ??= sync().finally(() => { syncing = undefined; }));
  let timer: NodeJS.Timeout | undefined;
  if ((o.pollMs ?? 500) > 0) {
    const tick = (): void => {
      timer = setTimeout(() => {
        syncWithdrawals().catch((e: Error) => log(`${label}withdrawal sync: ${e.message}`)).finally(tick);
      }, o.pollMs ?? 500);
    };
    tick();
  }
  return {
    url,
    webhookUrl: `${url}/webhooks/${o.rail.name}`,
    syncWithdrawals,
    close: async () => {
      if (timer) clearTimeout(timer);
      await syncing?.catch(() => 0);
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The next height to read: from the cursor file, or 1 without one (or before it is first written). */
function readCursor(file: string | undefined): number {
  if (!file) return 1;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw e;
  }
  const next = (JSON.parse(text) as { next?: unknown }).next;
  if (!Number.isSafeInteger(next) || (next as number) < 1) {
    throw new ShulianError('BAD_ARGUMENT', `${file} does not hold a withdrawal cursor ({"next": height ≥ 1}); delete it to read the chain from block 1 again (payouts are idempotent)`);
  }
  return next as number;
}

/** Writes the cursor atomically (temporary file, then rename); returns what it wrote. */
function writeCursor(file: string | undefined, next: number): number {
  if (file) {
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ next }) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
  }
  return next;
}
