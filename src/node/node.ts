import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShulianError, toHex, asJson, type JsonValue } from '../codec/index.ts';
import { PeerNetwork, type NetworkStats } from '../net/index.ts';
import { ChainLifecycleWatcher, assignedChains } from '../governance/index.ts';
import { didFromPublicKey, type KeyPair, type Suite } from '../crypto/index.ts';
import {
  AdmissionPool, Chain, MAX_BATCH,
  type AdmissionRule, type ChainView, type ConsensusStatus, type MempoolPolicy, type NodeView, type ReferenceChain, type SenderAuthority,
} from '../chain/index.ts';
import { CLOCK_SKEW_ENV, nodeClock, type NodeClock } from './clock.ts';
import { SoloConsensus, TbftDriver, traceFromEnv, type ConsensusEngine, type TbftDriverOptions } from '../consensus/index.ts';
import type { Genesis, TxInclusion, ValidatorInfo } from '../ledger/index.ts';
import { knownModuleNames, modulesFor } from '../modules/index.ts';
import { govKey } from '../modules/governance/keys.ts';
import type { Role } from '../modules/governance/types.ts';
import { didSenderAuthority, governanceAdmissionRule, governanceAllianceRule } from './admission.ts';
import { signTx } from '../ledger/index.ts';
import { evidenceReporter, tbftTransport } from './tbft-wiring.ts';
import { serveChainSnapshots, stateSyncChain, stateSyncChains } from './statesync.ts';
import { DEFAULT_PARAMS } from './alliance.ts';
import { EMBEDDED_FOUNDER, embeddedGeneses } from './alliance.ts';
import { loadOrCreateNodeKey } from './keys.ts';
import { lockDataDir } from './lock.ts';

export const VERSION = '0.1.0';

export interface AllianceFile {
  alliance: string;
  createdAt: number;
  chains: Genesis[];
  /**
   * The founding operator, as governance.init records it (docs/governance.md#bootstrap). Absent:
   * "<alliance> operator" holding only the `operator` role. The embedded alliance gives it a
   * `member` seat too, so its one organisation can propose and approve business chains alone.
   */
  founder?: FounderFile;
}

/** The founding operator's name and on-chain roles (the `init` arguments it sends). */
export interface FounderFile {
  name?: string;
  nameZh?: string;
  roles?: Role[];
}

export interface NodeOpenOptions {
  dataDir: string;
  log: (line: string) => void;
  /** Suite of a newly created embedded alliance (and of this node's key). */
  suite?: Suite;
  /** Gateways (besides this node) registered for every chain when the embedded alliance is created. */
  gateways?: Array<{ did: string; publicKey: string }>;
  /** Path of the alliance file; default <dataDir>/alliance.json, created for the embedded alliance. */
  allianceFile?: string;
  /** Peer-to-peer endpoint; needed when any chain runs tbft. */
  p2p?: { host: string; port: number; peers: string[] };
  /** tbft timeouts (tests shorten them). */
  tbftTimeouts?: TbftDriverOptions['timeouts'];
  /** This node's mempool policy (docs/operations.md#limits); defaults DEFAULT_MEMPOOL_POLICY. */
  mempool?: Partial<MempoolPolicy>;
  /**
   * Start the tbft chains that hold no blocks yet from a peer's snapshot instead of replaying
   * every block (docs/operations.md#state-sync). Absent: block sync from genesis.
   */
  stateSync?: StateSyncConfig;
  /** A snapshot served to peers is retaken once the head is this many blocks past it (default 1000). */
  snapshotInterval?: number;
  /** Free disk space each chain store keeps in reserve (default 64 MiB; docs/operations.md#a-full-disk). */
  minFreeBytes?: number;
}

export interface StateSyncConfig {
  /** Refuse snapshots below this height (default 1). */
  minHeight?: number;
  /** How long to wait for peers and a snapshot that verifies, per chain (default 60 s). */
  timeoutMs?: number;
  /**
   * Only these chains (default: every tbft chain); the others sync blocks as usual. A node may
   * only connect for the chains it validates (and the identity and governance chains), so one that
   * joins a few chains' validator sets names those.
   */
  chains?: string[];
}

/** A node process's chains: opened from the data dir, driven by their consensus engines. */
export class ShulianNode implements NodeView {
  readonly version = VERSION;
  readonly startedAt = Date.now();
  readonly did: string;
  private readonly hosted = new Map<string, Chain>();
  private readonly engines: ConsensusEngine[] = [];
  private readonly drivers = new Map<string, TbftDriver>();
  /** Ends the tbft traces this node writes (SHULIAN_TBFT_TRACE). */
  private readonly traceClosers: Array<() => void> = [];
  private readonly enginesByChain = new Map<string, ConsensusEngine[]>();
  private net: PeerNetwork | undefined;
  /** Governed chains whose snapshots this node serves (a chain stopped and restarted keeps its handler). */
  private readonly snapshotServed = new Set<string>();
  private watcher: ChainLifecycleWatcher | undefined;
  private opts!: NodeOpenOptions;
  /** Wall time for proposing and judging block times (a test may skew it: clock.ts). */
  private clock!: NodeClock;
  private closing = false;

  private constructor(readonly key: KeyPair, private readonly admission: AdmissionPool, private readonly unlock: () => void) {
    this.did = didFromPublicKey(key.publicKey);
  }

  /**
   * Opens the chains of the alliance file (on first start of the embedded alliance, creates it):
   * chains/<id>/ holds each chain's LMDB store and, for tbft chains, its consensus WAL.
   */
  static async open(o: NodeOpenOptions): Promise<ShulianNode> {
    const { dataDir, log } = o;
    const unlock = lockDataDir(dataDir);
    let node: ShulianNode | undefined;
    try {
      const key = loadOrCreateNodeKey(dataDir, o.suite ?? 'sm2', log);
      const alliance = o.allianceFile ? loadAlliance(o.allianceFile) : loadOrCreateAlliance(dataDir, key, log, o.gateways ?? []);
      node = new ShulianNode(key, new AdmissionPool(), unlock);
      const self = node;
      self.opts = o;
      self.clock = nodeClock();
      if (self.clock.skewMs !== 0) log(`clock: block times proposed and judged with this host's clock ${self.clock.skewMs > 0 ? '+' : ''}${self.clock.skewMs} ms (${CLOCK_SKEW_ENV}, for fault tests)`);
      self.identityId = alliance.chains.find((g) => g.modules.includes('did'))?.chain;
      self.govId = alliance.chains.find((g) => g.modules.includes('governance'))?.chain;
      const followedByAll = new Set(alliance.chains.filter((g) => g.modules.includes('did') || g.modules.includes('governance')).map((g) => g.chain));
      for (const genesis of alliance.chains) {
        // tbft chains get the key even when this node is not (yet) a validator: the core signs
        // only at heights whose validator set names it.
        const isValidator = genesis.validators.some((v) => v.did === self.did) || genesis.consensus.type === 'tbft';
        const chain = await Chain.open({
          ...self.chainOptions(genesis), ...(isValidator ? { validatorKey: key } : {}),
        });
        self.hosted.set(genesis.chain, chain);
      }
      // Pending txs come back once every chain is open: their senders' keys are judged against
      // the identity chain, which may open after them.
      for (const chain of self.hosted.values()) {
        const r = await chain.restoreMempool();
        if (r.restored + r.dropped > 0) log(`chain ${chain.id}: ${r.restored} pending transactions restored, ${r.dropped} no longer acceptable`);
      }
      const bft = alliance.chains.filter((g) => g.consensus.type === 'tbft');
      if (bft.length > 0) {
        if (!o.p2p) throw new ShulianError('P2P_REQUIRED', `chains ${bft.map((g) => g.chain).join(', ')} run tbft: give the node a p2p address (shulian node --config)`);
        self.net = new PeerNetwork({
          key, alliance: alliance.alliance, chains: alliance.chains.map((g) => g.chain),
          // Only validators of a shared chain may connect; per chain, only that chain's validators,
          // except that the chains whose state judges every chain's blocks (identity, governance:
          // docs/consensus.md#block-validity) are shared with the validators of any chain, who
          // must follow them. Business chains started later by governance join as they open.
          isAllowedPeer: (did, chainId) => {
            const validatorOf = (c: Chain | undefined): boolean => c?.knownValidators().some((v) => v.did === did) ?? false;
            if (chainId === undefined || followedByAll.has(chainId)) return [...self.hosted.values()].some(validatorOf);
            return validatorOf(self.hosted.get(chainId));
          },
          listen: { host: o.p2p.host, port: o.p2p.port },
          peers: o.p2p.peers,
          log: (level, message) => {
            if (level === 'warn' || level === 'error') log(`p2p: ${message}`);
          },
        });
        await self.net.start();
        const net = self.net;
        for (const g of bft) serveChainSnapshots(net, g.chain, () => self.hosted.get(g.chain), o.snapshotInterval ?? 1000);
        if (o.stateSync) {
          for (const g of stateSyncChains(o.stateSync.chains, bft)) await self.stateSync(g, o.stateSync);
        }
        for (const chain of self.hosted.values()) self.gossipTxs(chain);
      }
      for (const genesis of alliance.chains) self.engines.push(...self.engineFor(self.hosted.get(genesis.chain)!));
      for (const e of self.engines) e.start();
      await self.initGovernance(alliance, log);
      await self.initRoutes(alliance, log);
      await self.followGovernance(alliance);
      return self;
    } catch (err) {
      if (node) await node.close();
      else unlock();
      throw err;
    }
  }

  /**
   * State sync of one chain that holds no blocks yet (docs/operations.md#state-sync): the
   * snapshot is fetched and verified into a side directory, then swapped in for the empty store
   * and the chain reopened at its height; block sync takes it on from there when consensus
   * starts. When no peer offers a snapshot at all (a chain with no blocks anywhere yet), the
   * chain stays at genesis and syncs blocks; offers that all fail their checks stop the node.
   */
  private async stateSync(genesis: Genesis, cfg: StateSyncConfig): Promise<void> {
    const id = genesis.chain;
    const old = this.hosted.get(id);
    const net = this.net;
    if (!old || !net || old.height() > 0) return;
    const dir = join(this.opts.dataDir, 'chains', id);
    // Beside chains/, not in it; and no dot in the name: lmdb takes a path with an extension for a file.
    const side = join(this.opts.dataDir, 'statesync', id);
    const deadline = Date.now() + (cfg.timeoutMs ?? 60_000);
    const log = this.opts.log;
    let last: ShulianError | undefined;
    while (Date.now() < deadline) {
      rmSync(side, { recursive: true, force: true });
      if (net.peers(id).length > 0) {
        try {
          const r = await stateSyncChain({ net, genesis, dir: side, ...(cfg.minHeight ? { minHeight: cfg.minHeight } : {}), log });
          await old.close();
          rmSync(dir, { recursive: true, force: true });
          renameSync(side, dir);
          rmSync(join(this.opts.dataDir, 'statesync'), { recursive: true, force: true });
          const chain = await Chain.open({ ...this.chainOptions(genesis), validatorKey: this.key });
          this.hosted.set(id, chain);
          log(`chain ${id}: started by state sync at height ${r.height} (${r.entries} state entries in ${r.chunks} chunks)${r.refused.length ? `; refused ${r.refused.length} peers` : ''}`);
          return;
        } catch (err) {
          rmSync(side, { recursive: true, force: true });
          if (!(err instanceof ShulianError) || err.code !== 'SNAPSHOT_NONE') throw err;
          last = err;
          // The peers answered that they hold no blocks of this chain: nothing to sync yet.
          if (err.details?.offers === 0 && (err.details.refused as unknown[]).length === 0) {
            log(`chain ${id}: no peer holds blocks of it yet; no state sync`);
            return;
          }
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    const refused = last?.details?.refused;
    // Offers came and none verified: starting from genesis would hide an attack or a misconfiguration.
    if (last && Array.isArray(refused) && refused.length > 0) throw last;
    if (net.peers(id).length === 0) throw new ShulianError('SNAPSHOT_NONE', `state sync of ${id}: no peer connected within ${cfg.timeoutMs ?? 60_000} ms; check p2p.peers`);
    log(`chain ${id}: no peer offers a snapshot; syncing blocks from genesis`);
  }

  /** The chain that runs the `did` module, when the alliance has one. */
  private identityId: string | undefined;
  /** The chain that runs the `governance` module, when the alliance has one. */
  private govId: string | undefined;

  /** What every chain of this node is opened with: its store, modules, and who judges its senders. */
  private chainOptions(genesis: Genesis): Parameters<typeof Chain.open>[0] {
    const senderAuthority = this.senderAuthorityFor(genesis);
    // Freezes and template approvals come from the governance chain, for every chain (itself at its parent).
    const allianceRule = this.govId ? governanceAllianceRule(genesis.chain, genesis.chain === this.govId ? undefined : this.referenceTo(this.govId)) : undefined;
    return {
      genesis, dir: join(this.opts.dataDir, 'chains', genesis.chain), modules: modulesFor(genesis), admission: this.admission,
      checkCalls: true, restoreMempool: false, ...(this.opts.mempool ? { mempool: this.opts.mempool } : {}),
      ...(this.opts.minFreeBytes !== undefined ? { minFreeBytes: this.opts.minFreeBytes } : {}),
      ...(senderAuthority ? { senderAuthority } : {}), ...(allianceRule ? { allianceRule } : {}),
    };
  }

  /**
   * A hosted chain as another chain's reference: looked up at each use, since chains open one by
   * one and governed chains later (an unopened one is at height −1).
   */
  private referenceTo(id: string): ReferenceChain {
    const chain = (): Chain => {
      const c = this.hosted.get(id);
      if (!c) throw new ShulianError('CHAIN_NOT_FOUND', `this node does not host chain ${id}`);
      return c;
    };
    return {
      id,
      height: () => this.hosted.get(id)?.height() ?? -1,
      getState: (key, opts) => chain().getState(key, opts),
      onBlock: (listener) => this.hosted.get(id)?.onBlock(listener) ?? (() => {}),
    };
  }

  /**
   * Who judges a chain's senders: the identity chain's DID documents at the identity height a
   * block names (the identity chain itself: at its parent state). Without an identity chain,
   * only self-certifying keys.
   */
  private senderAuthorityFor(genesis: Genesis): SenderAuthority | undefined {
    if (!this.identityId) return undefined;
    return didSenderAuthority(genesis.chain === this.identityId ? undefined : this.referenceTo(this.identityId));
  }

  /** A business chain's admission policy, from the governance registry at the height its block names. */
  private admissionRuleOf(chainId: string, govId: string): AdmissionRule {
    return governanceAdmissionRule(chainId, this.referenceTo(govId), this.identityId ? this.referenceTo(this.identityId) : undefined);
  }

  /** Txs a client gave this node travel to the other validators; gossiped ones the network forwards. */
  private gossipTxs(chain: Chain): void {
    const net = this.net;
    if (!net) return;
    chain.onAccepted((txs) => net.broadcast(chain.id, 'tx', asJson(txs)));
    net.on(chain.id, 'tx', async (body, from) => {
      if (!Array.isArray(body) || body.length === 0 || body.length > MAX_BATCH) return false;
      const results = await chain.submit(body);
      return results.some((r) => r.accepted) && !this.bothValidators(chain, this.did, from);
    });
  }

  /**
   * Whether `a` and `b` are both in `chain`'s validator set for its next height. A validator does not forward
   * txs another validator gossiped: that validator sent them to every peer it is connected to, and
   * validators dial each other, so forwarding only sends each tx again over links that already
   * carried it (with four validators, nine sends of a tx instead of three, which is what bounds
   * the commit rate on a lossy WAN: docs/network.md#gossip). Txs from any other peer (a full node,
   * a sentry) are forwarded as before, and a tx a validator holds reaches the chain when it
   * proposes, whoever else has it.
   */
  private bothValidators(chain: Chain, a: string, b: string): boolean {
    // One read of the validator schedule per gossip message (it is state, read from the store).
    const set = chain.validatorsAt(chain.height() + 1);
    return set.some((v) => v.did === a) && set.some((v) => v.did === b);
  }

  /** The consensus engine that drives `chain` on this node, if any. */
  private engineFor(chain: Chain): ConsensusEngine[] {
    const { genesis } = chain;
    const isValidator = genesis.validators.some((v) => v.did === this.did) || genesis.consensus.type === 'tbft';
    if (genesis.consensus.type === 'solo') {
      return isValidator ? [new SoloConsensus(chain, { clock: this.clock.now, onError: (err) => this.opts.log(`chain ${genesis.chain}: block production failed: ${(err as Error).message}`) })] : [];
    }
    if (!this.net) throw new ShulianError('P2P_REQUIRED', `chain ${genesis.chain} runs tbft: this node needs a p2p address (shulian node --config)`);
    // SHULIAN_TBFT_TRACE=DIR: each step of each height into DIR (docs/consensus.md#tracing-a-height).
    const traced = traceFromEnv(genesis.chain);
    if (traced) this.traceClosers.push(traced.close);
    const driver = new TbftDriver({
      ...(traced ? { trace: traced.trace } : {}),
      chain, net: tbftTransport(this.net, chain, traced?.trace), clock: this.clock.now, walPath: join(this.opts.dataDir, 'chains', genesis.chain, 'consensus.wal'), log: this.opts.log,
      ...(isValidator ? { key: this.key, reportEvidence: evidenceReporter(chain, this.key, this.opts.log) } : {}),
      ...(this.opts.tbftTimeouts ? { timeouts: this.opts.tbftTimeouts } : {}),
    });
    this.drivers.set(genesis.chain, driver);
    return [driver];
  }

  /**
   * Business chains are not in the alliance file: the governance chain's registry says which
   * ones this node validates. They are opened at start, and from then on the node follows the
   * governance chain and starts a chain by itself as soon as a proposal naming it is approved.
   */
  private async followGovernance(alliance: AllianceFile): Promise<void> {
    const gov = alliance.chains.find((g) => g.modules.includes('governance'));
    const govChain = gov && this.hosted.get(gov.chain);
    if (!gov || !govChain) return;
    for (const a of await assignedChains(govChain, this.did)) await this.startGovernedChain(a.genesis, a.genesisHash, a.status, gov.chain);
    this.watcher = new ChainLifecycleWatcher({ blocks: govChain, did: this.did, chain: gov.chain, onError: (err) => this.opts.log(`governance watcher: ${(err as Error).message}`) });
    this.watcher.on((e) => {
      if (e.type === 'start') {
        this.startGovernedChain(e.genesis, e.genesisHash, e.reason === 'approved' ? 'approved' : 'active', gov.chain)
          .catch((err: unknown) => this.opts.log(`chain ${e.chain}: could not start: ${(err as Error).message}`));
      } else if (e.type === 'validators') {
        this.approveValidatorChange(e.chain, e.validators, e.height, e.proposal)
          .catch((err: unknown) => this.opts.log(`chain ${e.chain}: validator change not approved: ${(err as Error).message}`));
      } else if (e.type === 'route') {
        this.approveRoute(e.route, e.proposal).catch((err: unknown) => this.opts.log(`route of ${e.chain}: not approved: ${(err as Error).message}`));
      } else if (e.type === 'stop') {
        this.stopGovernedChain(e.chain, e.reason).catch((err: unknown) => this.opts.log(`chain ${e.chain}: could not stop: ${(err as Error).message}`));
      }
    });
  }

  /**
   * Governance approved a cross-chain registration: as a validator of the routing chain, this
   * node approves it there (xroute.approve); it is written once > 2/3 of the power has.
   */
  private async approveRoute(route: JsonValue, proposal: number): Promise<void> {
    const xr = this.chains().find((c) => c.genesis.modules.includes('xroute'));
    const chain = xr && this.hosted.get(xr.id);
    if (!chain || !chain.genesis.validators.some((v) => v.did === this.did)) return;
    const mine = chain.nonces(this.did);
    const { tx } = signTx(this.key, { chain: chain.id, module: 'xroute', method: 'approve', args: { route, proposal }, nonce: mine.pendingNonce, expires: chain.height() + 1000 });
    const [r] = await chain.submit([tx]);
    if (!r || !r.accepted) throw new Error(r && !r.accepted ? r.message : 'no answer');
    this.opts.log(`routing chain ${chain.id}: approved the registration of governance proposal ${proposal}`);
  }

  /**
   * Governance approved a new validator set for a chain this node validates: as one of its
   * current validators, this node approves the change on that chain (module `validators`), where
   * it is scheduled once more than 2/3 of the current power has.
   */
  private async approveValidatorChange(id: string, validators: ValidatorInfo[], height: number, proposal: number): Promise<void> {
    const chain = this.hosted.get(id);
    if (!chain || !chain.genesis.modules.includes('validators')) return;
    if (!chain.validatorsAt(chain.height() + 1).some((v) => v.did === this.did)) return;
    const { tx } = signTx(this.key, {
      chain: id, module: 'validators', method: 'approve', args: { height, validators: asJson(validators), proposal },
      nonce: chain.nonces(this.did).pendingNonce, expires: chain.height() + 100,
    });
    const answer = await chain.submitBody(JSON.stringify(tx));
    const r = answer.kind === 'invalid' ? answer : answer.results[0]!;
    if ('accepted' in r && !r.accepted) this.opts.log(`chain ${id}: approval of the validator change not accepted: ${r.message}`);
  }

  /** A chain suspended or retired by governance: this node stops it and no longer serves it. */
  private async stopGovernedChain(id: string, reason: string): Promise<void> {
    const chain = this.hosted.get(id);
    if (!chain) return;
    this.hosted.delete(id);
    const engines = this.enginesByChain.get(id) ?? [];
    this.enginesByChain.delete(id);
    this.drivers.delete(id);
    await Promise.all(engines.map((e) => e.stop()));
    for (const e of engines) this.engines.splice(this.engines.indexOf(e), 1);
    this.net?.removeChain(id);
    await chain.close();
    this.opts.log(`chain ${id}: ${reason} by governance; stopped`);
  }

  private async startGovernedChain(genesis: Genesis, genesisHash: string, status: string, govId: string): Promise<void> {
    if (this.closing || this.hosted.has(genesis.chain)) return;
    const isValidator = genesis.validators.some((v) => v.did === this.did);
    const chain = await Chain.open({
      ...this.chainOptions(genesis), admissionRule: this.admissionRuleOf(genesis.chain, govId),
      ...(isValidator || genesis.consensus.type === 'tbft' ? { validatorKey: this.key } : {}),
    });
    if (chain.genesisHash !== genesisHash) {
      await chain.close();
      throw new ShulianError('GENESIS_MISMATCH', `the registry's genesis hash ${genesisHash} does not match the genesis it holds (${chain.genesisHash})`);
    }
    this.hosted.set(genesis.chain, chain);
    const restored = await chain.restoreMempool();
    if (restored.restored + restored.dropped > 0) this.opts.log(`chain ${chain.id}: ${restored.restored} pending transactions restored, ${restored.dropped} no longer acceptable`);
    if (genesis.consensus.type === 'tbft' && this.net) {
      this.net.addChain(genesis.chain);
      if (!this.snapshotServed.has(genesis.chain)) {
        this.snapshotServed.add(genesis.chain);
        serveChainSnapshots(this.net, genesis.chain, () => this.hosted.get(genesis.chain), this.opts.snapshotInterval ?? 1000);
      }
      this.net.refreshPeers();
      this.gossipTxs(chain);
    }
    const engines = this.engineFor(chain);
    this.engines.push(...engines);
    this.enginesByChain.set(genesis.chain, engines);
    for (const e of engines) e.start();
    this.opts.log(`chain ${genesis.chain}: started by governance (${genesis.consensus.type}, ${genesis.validators.length} validators)`);
    // Tell the alliance the chain runs: the registry moves from approved to active.
    const gov = this.hosted.get(govId);
    if (status === 'approved' && isValidator && gov) {
      const { tx } = signTx(this.key, {
        chain: govId, module: 'governance', method: 'activate', args: { chain: genesis.chain },
        nonce: gov.nonces(this.did).pendingNonce, expires: gov.height() + 1000,
      });
      await gov.submitBody(JSON.stringify(tx));
    }
  }

  /**
   * 以链治链 bootstrap: on a governance chain nobody has initialised yet, the first founder (by
   * DID order among its genesis validators) sends governance.init, naming itself operator and
   * registering the alliance's existing chains. Done once; later starts find it done.
   */
  private async initGovernance(alliance: AllianceFile, log: (line: string) => void): Promise<void> {
    const gov = alliance.chains.find((g) => g.modules.includes('governance'));
    const chain = gov && this.hosted.get(gov.chain);
    if (!gov || !chain) return;
    const first = [...gov.validators].map((v) => v.did).sort()[0];
    if (first !== this.did || chain.getState(`governance/${govKey.meta()}`).value !== null) return;
    const mine = chain.nonces(this.did);
    if (mine.pendingNonce > mine.nonce) return; // an init is already on its way
    const { tx } = signTx(this.key, {
      chain: gov.chain, module: 'governance', method: 'init', nonce: mine.pendingNonce, expires: chain.height() + 1000,
      args: asJson({
        name: alliance.founder?.name ?? `${alliance.alliance} operator`,
        ...(alliance.founder?.nameZh ? { nameZh: alliance.founder.nameZh } : {}),
        ...(alliance.founder?.roles ? { roles: alliance.founder.roles } : {}),
        // Governance and supervision run on the governance chain only (supervision asks governance for regulators).
        policy: { modules: knownModuleNames().filter((n) => n !== 'governance' && n !== 'supervision'), chainParams: { ...DEFAULT_PARAMS } },
        chains: alliance.chains.map((g) => ({ genesis: asJson(g) })),
      }),
    });
    const answer = await chain.submitBody(JSON.stringify(tx));
    const r = answer.kind === 'invalid' ? answer : answer.results[0]!;
    if ('accepted' in r && r.accepted) log(`governance chain ${gov.chain}: sent governance.init as the founding operator`);
    else log(`governance chain ${gov.chain}: governance.init was not accepted: ${'message' in r ? r.message : 'unknown'}`);
  }

  /**
   * The routing chain's first registrations come from its genesis: its first validator (by DID
   * order) sends xroute.init once. Later changes go through governance.
   */
  private async initRoutes(alliance: AllianceFile, log: (line: string) => void): Promise<void> {
    const xr = alliance.chains.find((g) => g.modules.includes('xroute'));
    const chain = xr && this.hosted.get(xr.chain);
    if (!xr || !chain || !xr.crossChain?.routes?.length) return;
    const first = [...xr.validators].map((v) => v.did).sort()[0];
    if (first !== this.did || chain.getState('xroute/chains').value !== null) return;
    const mine = chain.nonces(this.did);
    if (mine.pendingNonce > mine.nonce) return;
    const { tx } = signTx(this.key, { chain: xr.chain, module: 'xroute', method: 'init', nonce: mine.pendingNonce, expires: chain.height() + 1000, args: {} });
    const answer = await chain.submitBody(JSON.stringify(tx));
    const r = answer.kind === 'invalid' ? answer : answer.results[0]!;
    if ('accepted' in r && r.accepted) log(`routing chain ${xr.chain}: sent xroute.init with ${xr.crossChain.routes.length} genesis registrations`);
    else log(`routing chain ${xr.chain}: xroute.init was not accepted: ${'message' in r ? r.message : 'unknown'}`);
  }

  /** Consensus state of a chain, for `GET /v1/chains/:chain/consensus`. */
  consensus(chainId: string): ConsensusStatus | undefined {
    const chain = this.hosted.get(chainId);
    if (!chain) return undefined;
    const info = chain.info();
    const connected = new Set(this.net?.peers(chainId) ?? []);
    const validators = chain.validatorsAt(info.height + 1).map((v) => ({ ...v, up: v.did === this.did || connected.has(v.did), self: v.did === this.did }));
    const driver = this.drivers.get(chainId);
    if (!driver) {
      return { chain: chainId, type: 'solo', height: info.height, round: 0, step: 'commit', proposer: validators[0]?.did ?? '', validators, lastCommitTime: info.lastBlockTime, syncing: false, evidence: 0 };
    }
    const s = driver.status();
    return { chain: chainId, type: 'tbft', height: info.height, round: s.round, step: s.step, proposer: s.proposer, validators, lastCommitTime: s.lastCommitTime || info.lastBlockTime, syncing: s.syncing, evidence: s.evidence };
  }

  /** Network statistics (peers, counters), when the node has a p2p endpoint. */
  network(): NetworkStats | undefined {
    return this.net?.stats();
  }

  chains(): ChainView[] {
    return [...this.hosted.values()];
  }

  chain(id: string): ChainView | undefined {
    return this.hosted.get(id);
  }

  findTx(hash: string): { chain: ChainView; inclusion?: TxInclusion; pending: boolean } | undefined {
    for (const chain of this.hosted.values()) {
      const inclusion = chain.getTx(hash);
      if (inclusion) return { chain, inclusion, pending: false };
      if (chain.isPending(hash)) return { chain, pending: true };
    }
    return undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.watcher?.close();
    await Promise.all(this.engines.map((e) => e.stop()));
    await this.net?.close();
    await Promise.all([...this.hosted.values()].map((c) => c.close()));
    await this.admission.close();
    for (const close of this.traceClosers.splice(0)) close();
    this.unlock();
  }
}

function loadAlliance(path: string): AllianceFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AllianceFile;
  } catch (err) {
    throw new ShulianError('ALLIANCE_FILE_INVALID', `cannot read the alliance file ${path}: ${(err as Error).message}`);
  }
}

function loadOrCreateAlliance(dataDir: string, key: KeyPair, log: (line: string) => void, extraGateways: Array<{ did: string; publicKey: string }>): AllianceFile {
  const path = join(dataDir, 'alliance.json');
  if (existsSync(path)) {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as AllianceFile;
    } catch (err) {
      throw new ShulianError('ALLIANCE_FILE_INVALID', `${path} is not valid JSON (${(err as Error).message}); restore it from a backup`);
    }
  }
  const createdAt = Date.now();
  const validators = [{ did: didFromPublicKey(key.publicKey), publicKey: toHex(key.publicKey), power: 1 }];
  const alliance: AllianceFile = {
    alliance: 'shulian-local', createdAt, founder: EMBEDDED_FOUNDER,
    chains: embeddedGeneses({ alliance: 'shulian-local', validators, time: createdAt, suite: key.suite, gateways: [...validators.map((v) => ({ did: v.did, publicKey: v.publicKey })), ...extraGateways] }),
  };
  writeFileSync(path, JSON.stringify(alliance, null, 2) + '\n', { flag: 'wx' });
  log(`created the embedded alliance in ${dataDir}: ${alliance.chains.map((c) => c.chain).join(', ')}`);
  return alliance;
}
