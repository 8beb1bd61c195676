import type WebSocket from 'ws';
import { foreign, ShulianError, HEX64_RE as HASH_RE } from '../codec/index.ts';
import { didFromPublicKey, type KeyPair } from '../crypto/index.ts';
import {
  hashJson, signTx, verifyStateLookup, verifyTxInclusion, type ProofCheck, LightClientError, headerVerifier,
  lightStateFromGenesis, trustedThrough, verifyHeaderProof, type HeaderVerifier, type LightState, type ValidatorsAt,
} from '../ledger/index.ts';
import type { Block, Genesis, Tx, ConsensusStatus } from '../ledger/index.ts';
import type {
  Call, ClientOptions, FirstUse, GenesisPinStore, SendOptions, StreamMessage,
  SubscribeHandlers, SubscribeOptions, Subscription, StreamControl, VerifiedState, VerifiedTx,
} from './types.ts';
import { ShulianHttp, checkInt, enc, query } from './http.ts';

/** At most this many validatorsAt rounds to reach one height (each proves up to 64 changes). */
const MAX_LIGHT_ROUNDS = 1_000;
const DEFAULT_EXPIRES_IN = 100;

/** The genesis hash: the chain's hash function over the canonical genesis document. */
export function genesisHashOf(genesis: Genesis): string {
  return hashJson(genesis.suite, genesis);
}

/**
 * Typed client for a Shulian node's HTTP API (docs/api.md). Reads return the node's answer;
 * `verifiedTx` / `verifiedState` check proofs locally and never trust the node: each block
 * header must carry a commit of more than 2/3 of the voting power of the validator set of its
 * height, which a light client follows from the chain's genesis through every validator change.
 *
 * The trust root is the genesis hash. Pin it (`genesisHashes`, `pinGenesis`); otherwise the
 * client trusts the genesis the node serves the first time (trust on first use, reported to
 * `onFirstUse` and kept in `pinStore` if one is given) — a node that lies from the start then goes
 * unnoticed. Every failure is a ShulianError: the node's own code and message for HTTP errors,
 * NODE_UNREACHABLE / NODE_TIMEOUT when the node cannot be reached, PROOF_INVALID (with the light
 * client's code in `details.check`) when a proof does not verify, GENESIS_MISMATCH when a node
 * serves another genesis than the pinned one.
 */
export class ShulianClient extends ShulianHttp {
  readonly #pins = new Map<string, string>();
  readonly #genesis = new Map<string, Promise<Genesis>>();
  /** Per chain: the light client, advanced one step at a time (see #lightAt). */
  readonly #light = new Map<string, Promise<LightState>>();
  readonly #pinStore: GenesisPinStore | undefined;
  readonly #onFirstUse: (e: FirstUse) => void;
  readonly #requirePin: boolean;
  /** Per chain+sender: serialises `send` and remembers the next nonce this client handed out. */
  readonly #senders = new Map<string, { queue: Promise<unknown>; next: number }>();

  constructor(opts: ClientOptions) {
    super(opts);
    this.#pinStore = opts.pinStore;
    this.#onFirstUse = opts.onFirstUse ?? ((e) => console.warn(firstUseWarning(e)));
    this.#requirePin = opts.requirePinnedGenesis === true;
    for (const [chain, hash] of Object.entries(opts.genesisHashes ?? {})) this.pinGenesis(chain, hash);
  }

  /**
   * Pins a chain's genesis hash: proofs on that chain are only accepted when the node's genesis
   * document hashes to it.
   */
  pinGenesis(chain: string, genesisHash: string): void {
    if (!HASH_RE.test(genesisHash)) {
      throw new ShulianError('BAD_GENESIS_HASH', `genesis hash for ${chain} must be 64 lowercase hex digits`);
    }
    this.#pins.set(chain, genesisHash);
    this.#genesis.delete(chain);
    this.#light.delete(chain);
  }

  /**
   * Signs a call locally and submits it: takes the sender's pending nonce from the node (or the
   * next one this client already used, if higher), expires `expiresIn` blocks after the current
   * height. Calls from one client for the same sender and chain are serialised so their nonces
   * never collide. Returns the tx hash.
   */
  send(chain: string, key: KeyPair, call: Call, opts: SendOptions = {}): Promise<string> {
    const expiresIn = opts.expiresIn ?? DEFAULT_EXPIRES_IN;
    checkInt(expiresIn, 'expiresIn');
    const from = opts.from ?? didFromPublicKey(key.publicKey);
    const id = `${chain}\u0000${from}`;
    let s = this.#senders.get(id);
    if (!s) this.#senders.set(id, (s = { queue: Promise.resolve(), next: 0 }));
    const sender = s;
    const run = async (): Promise<string> => {
      const [acct, head] = await Promise.all([this.account(chain, from), this.blocks(chain, { limit: 1 })]);
      const nonce = Math.max(acct.pendingNonce, sender.next);
      const height = head[0]?.height ?? 0;
      const { tx, hash } = signTx(key, { chain, from, module: call.module, method: call.method, args: call.args, nonce, expires: height + expiresIn });
      try {
        await this.submit(chain, tx);
      } catch (err) {
        // The node's view is the truth again after a rejection (stale or gapped nonce, etc.).
        sender.next = 0;
        throw err;
      }
      sender.next = nonce + 1;
      return hash;
    };
    const p = sender.queue.then(run, run);
    sender.queue = p.catch(() => undefined);
    return p;
  }

  // ---- verified reads ----

  /**
   * The genesis document the client trusts for `chain`: fetched once per client and checked
   * against the pin (given, or stored on first use); trusted on first use when there is none.
   */
  genesis(chain: string): Promise<Genesis> {
    let p = this.#genesis.get(chain);
    if (!p) {
      p = this.#loadGenesis(chain);
      this.#genesis.set(chain, p);
      p.catch(() => this.#genesis.delete(chain));
    }
    return p;
  }

  async #loadGenesis(chain: string): Promise<Genesis> {
    const info = await this.chain(chain);
    const g = info.genesis;
    if (!g || typeof g !== 'object' || !Array.isArray(g.validators) || (g.suite !== 'sm2' && g.suite !== 'ed25519')
      || !g.consensus || (g.consensus.type !== 'solo' && g.consensus.type !== 'tbft') || !Array.isArray(g.modules)) {
      throw new ShulianError('PROOF_INVALID', `the node sent no usable genesis document for chain ${chain}`);
    }
    if (g.chain !== chain) throw new ShulianError('PROOF_INVALID', `the node sent the genesis of chain ${g.chain} when asked for ${chain}`);
    const got = genesisHashOf(g);
    const given = this.#pins.get(chain);
    if (given !== undefined) {
      if (got !== given) {
        throw new ShulianError('GENESIS_MISMATCH', `the node at ${this.baseUrl} serves chain ${chain} with genesis ${got}, not the pinned ${given}: it is another chain (or the node lies); check the pin and the node`, {
          chain, pinned: given, served: got,
        });
      }
      return g;
    }
    const stored = this.#pinStore ? await this.#pinStore.get(this.baseUrl, chain) : undefined;
    if (stored !== undefined) {
      if (got !== stored) {
        throw new ShulianError('GENESIS_MISMATCH', `the node at ${this.baseUrl} now serves chain ${chain} with genesis ${got}, but ${stored} was pinned when it was first used${this.#pinStore?.where ? ` (in ${this.#pinStore.where})` : ''}: it is another chain, or the node lies. If the chain was really re-created, pin the new hash yourself with --genesis-hash after checking it with its operator`, {
          chain, pinned: stored, served: got,
        });
      }
      return g;
    }
    if (this.#requirePin) {
      throw new ShulianError('GENESIS_NOT_PINNED', `no genesis hash is pinned for chain ${chain}; get it from someone you trust (the chain's operator, the governance chain) and pin it`);
    }
    if (this.#pinStore) await this.#pinStore.set(this.baseUrl, chain, got);
    this.#onFirstUse({ chain, genesisHash: got, baseUrl: this.baseUrl, ...(this.#pinStore?.where ? { storedIn: this.#pinStore.where } : {}) });
    return g;
  }

  /**
   * validatorsAt: the validator set of `height` with the headers that prove it to a light client
   * that has proven the chain's validator schedule up to `from` (the node's answer, unverified).
   */
  validatorsAt(chain: string, height: number, from = 0): Promise<ValidatorsAt> {
    return this.request('GET', `/chains/${enc(chain)}/validators${query({ height: checkInt(height, 'height'), from: checkInt(from, 'from') })}`);
  }

  /**
   * A verifier of `chain`'s headers up to `height`: the light client of the chain, rooted at its
   * trusted genesis and advanced (through the headers validatorsAt gives) until it knows the
   * validator set of that height. Use it with verifyTxInclusion / verifyStateLookup /
   * verifyDidResolution.
   */
  async headerVerifier(chain: string, height: number): Promise<HeaderVerifier> {
    return headerVerifier(await this.#lightAt(chain, checkInt(height, 'height')));
  }

  /** The light client of `chain`, advanced to cover `height`. Steps run one after another per chain. */
  #lightAt(chain: string, height: number): Promise<LightState> {
    const prev = this.#light.get(chain);
    const start = prev ?? this.genesis(chain).then((g) => lightStateFromGenesis(g));
    const next = start.then((s) => this.#advance(s, chain, height));
    // The client only moves forward: a failed step leaves the last good state.
    const keep = next.catch(() => start);
    keep.catch(() => undefined);
    this.#light.set(chain, keep);
    if (!prev) start.catch(() => { if (this.#light.get(chain) === keep) this.#light.delete(chain); });
    return next;
  }

  async #advance(from: LightState, chain: string, height: number): Promise<LightState> {
    let state = from;
    const bad = (reason: string, check?: string): never => {
      throw new ShulianError('PROOF_INVALID', `validator set of ${chain}@${height}: ${reason}`, check ? { check } : undefined);
    };
    for (let round = 0; height > trustedThrough(state); round++) {
      if (round >= MAX_LIGHT_ROUNDS) bad(`not reached after ${MAX_LIGHT_ROUNDS} rounds of headers`);
      const ans = await this.validatorsAt(chain, height, state.latestHeight);
      if (!ans || ans.chain !== chain || !Array.isArray(ans.headers)) bad('the node\'s answer is not about this chain');
      if (ans.tracksValidators !== true) bad('the node says the chain does not track validators, but its genesis runs the validators module');
      if (ans.headers.length === 0) bad(`the node gave no headers to prove it from height ${state.latestHeight}`);
      const before = state.latestHeight;
      try {
        for (const hp of ans.headers) state = verifyHeaderProof(state, hp, { reader: true });
      } catch (err) {
        if (err instanceof LightClientError) bad(err.message, err.code);
        bad(`malformed header proof (${err instanceof Error ? err.message : String(err)})`, 'LIGHT_MALFORMED');
      }
      if (state.latestHeight <= before) bad('the node\'s headers do not get any further');
    }
    return state;
  }

  /** Fetches a committed tx and checks its inclusion proof locally against a verified header. */
  async verifiedTx(hash: string): Promise<VerifiedTx> {
    const r = await this.tx(hash);
    if (r.status !== 'committed') {
      throw new ShulianError('TX_PENDING', `transaction ${hash} is not committed yet; wait for it and try again`);
    }
    const bad = (reason: string, check?: string): never => {
      throw new ShulianError('PROOF_INVALID', `transaction ${hash}: ${reason}`, check ? { check } : undefined);
    };
    if (r.hash !== hash) bad(`the node answered with transaction ${r.hash}`);
    if (r.tx?.chain !== r.chain || r.header?.chain !== r.chain) bad(`the transaction or block belongs to another chain than ${r.chain}`);
    if (r.header.height !== r.height) bad('the block height does not match the inclusion');
    const g = await this.genesis(r.chain);
    const trust = await this.headerVerifier(r.chain, r.height);
    const check = safeCheck(() => verifyTxInclusion(g.suite, r, trust));
    if (!check.ok) bad(check.reason ?? 'the inclusion proof does not verify', check.code);
    return { ...r, proofVerified: true };
  }

  /** Fetches a state key with proof and checks it locally; `value: null` is a verified absence. */
  async verifiedState(chain: string, key: string, q: { height?: number } = {}): Promise<VerifiedState> {
    const [s, g] = await Promise.all([this.state(chain, key, { proof: true, height: q.height }), this.genesis(chain)]);
    const bad = (reason: string, check?: string): never => {
      throw new ShulianError('PROOF_INVALID', `state ${chain}:${key}: ${reason}`, check ? { check } : undefined);
    };
    if (s.key !== key) bad(`the node answered for key ${s.key}`);
    if (!s.header || s.header.chain !== chain) bad('the proof hangs from a block of another chain');
    if (q.height !== undefined && s.height !== q.height) bad(`asked for height ${q.height}, got ${s.height}`);
    if (!Number.isSafeInteger(s.header!.height) || s.header!.height < 0) bad('the proof hangs from a malformed header');
    const trust = await this.headerVerifier(chain, s.header!.height);
    const check = safeCheck(() => verifyStateLookup(g.suite, s, trust));
    if (!check.ok) bad(check.reason ?? 'the state proof does not verify', check.code);
    return { ...s, proofVerified: true };
  }

  // ---- stream ----

  /**
   * Subscribes to committed blocks and their events on the given chains over WebSocket.
   * `ready` resolves when the node confirms; close() ends it.
   */
  subscribe(opts: SubscribeOptions, onMessage: (msg: StreamMessage) => void, handlers: SubscribeHandlers = {}): Subscription {
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/v1/stream${query({ chains: opts.chains.join(',') || undefined })}`;
    let ws: WebSocket | undefined;
    let settled = false;
    let userClosed = false;
    let resolveReady!: () => void;
    let rejectReady!: (err: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    ready.catch(() => undefined);
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) rejectReady(err);
      else resolveReady();
    };
    // ws is loaded on the first subscription only: most SDK users (and every CLI read) never open one.
    import('ws').then(({ default: WebSocketImpl }) => {
      if (userClosed) {
        settle(new ShulianError('STREAM_CLOSED', `the subscription to ${url} was closed before it connected`));
        return;
      }
      const socket = new WebSocketImpl(url);
      ws = socket;
      socket.on('error', (err) => {
        const e = settled ? err : this.networkError(err, url);
        settle(e);
        if (!userClosed) handlers.onError?.(e);
      });
      socket.on('close', (code, reason) => {
        settle(new ShulianError('STREAM_CLOSED', `the stream at ${url} closed (${code}${reason.length ? ` ${reason.toString()}` : ''}) before the subscription was confirmed`));
        handlers.onClose?.(code, reason.toString());
      });
      socket.on('message', (data) => {
        let msg: StreamMessage | StreamControl;
        try {
          msg = JSON.parse(data.toString()) as StreamMessage | StreamControl;
        } catch {
          handlers.onError?.(new ShulianError('BAD_RESPONSE', 'the stream sent a message that is not JSON'));
          return;
        }
        if (msg.type === 'subscribed') {
          settle();
        } else if (msg.type === 'error') {
          const e = new ShulianError(foreign(msg.error?.code) ?? 'STREAM_ERROR', msg.error?.message ?? 'the stream reported an error');
          settle(e);
          handlers.onError?.(e);
        } else {
          settle();
          onMessage(msg);
        }
      });
    }, (err: unknown) => settle(err instanceof Error ? err : new Error(String(err))));
    return {
      ready,
      close: () => {
        userClosed = true;
        if (ws && (ws.readyState === ws.CONNECTING || ws.readyState === ws.OPEN)) ws.close();
      },
    };
  }
}




/** The warning for a genesis trusted on first use. */
export function firstUseWarning(e: FirstUse): string {
  return `warning: trusting chain ${e.chain} as the node at ${e.baseUrl} serves it, genesis ${e.genesisHash}, on first use`
    + `${e.storedIn ? ` (pinned in ${e.storedIn})` : ''}; a node that lied from the start would go unnoticed: compare the hash with one from a source you trust, or pass it with --genesis-hash`;
}

/** Proof checkers may throw on malformed input (bad hex, missing fields): that is a failed proof too. */
function safeCheck(f: () => ProofCheck): ProofCheck {
  try {
    return f();
  } catch (err) {
    return { ok: false, code: 'LIGHT_MALFORMED', reason: `malformed proof (${err instanceof Error ? err.message : String(err)})` };
  }
}

