/**
 * Turns the governance chain's committed blocks into what one node must do: start a chain it was
 * named to validate, stop one that was suspended or retired, switch validator sets at a height.
 * The node listens and acts; nothing here starts anything itself.
 */
import { asJson, type JsonValue } from '../codec/index.ts';
import type { Block, Genesis, ValidatorInfo } from '../ledger/index.ts';
import { GOVERNANCE_MODULE } from '../modules/governance/keys.ts';
import { type ChainRecord } from '../modules/governance/types.ts';
import { readChainRegistry, type ReadOptions, type StateSource } from './readers.ts';

export type LifecycleEvent =
  | {
    type: 'start';
    chain: string;
    genesis: Genesis;
    genesisHash: string;
    /** approved: a new chain; resumed: a suspended chain may run again. */
    reason: 'approved' | 'resumed';
    proposal: number;
    /** Height of the governance block that decided it. */
    govHeight: number;
  }
  | {
    type: 'stop';
    chain: string;
    reason: 'suspended' | 'retired';
    proposal: number;
    govHeight: number;
  }
  | {
    type: 'validators';
    chain: string;
    validators: ValidatorInfo[];
    previous: ValidatorInfo[];
    /** Height of `chain` from which `validators` validate it. */
    height: number;
    /** This node's part: joins the set (start following the chain if not yet), leaves it, or stays in it. */
    role: 'joins' | 'leaves' | 'stays';
    proposal: number;
    govHeight: number;
  }
  | {
    /** A cross-chain registration approved by governance, for the routing chain's validators to apply. */
    type: 'route';
    chain: string;
    route: JsonValue;
    proposal: number;
    govHeight: number;
  };

/** A governance chain's block stream: ChainView.onBlock. */
export interface BlockSource {
  onBlock(listener: (block: Block) => void): () => void;
}

type Obj = { [key: string]: JsonValue };

function obj(v: JsonValue | undefined): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function validatorsOf(v: JsonValue | undefined): ValidatorInfo[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: ValidatorInfo[] = [];
  for (const x of v) {
    const o = obj(x);
    if (!o || typeof o.did !== 'string' || typeof o.publicKey !== 'string' || typeof o.power !== 'number') return undefined;
    out.push({ did: o.did, publicKey: o.publicKey, power: o.power });
  }
  return out;
}

const named = (vs: ValidatorInfo[] | undefined, did: string): boolean => vs !== undefined && vs.some((v) => v.did === did);

/**
 * The lifecycle events one committed governance block holds for the node `did`. Pure: the same
 * block always gives the same events. Failed transactions carry no events and so give none.
 */
export function lifecycleEventsOf(block: Block, did: string): LifecycleEvent[] {
  const out: LifecycleEvent[] = [];
  const govHeight = block.header.height;
  for (const r of block.receipts) {
    if (r.status !== 'ok') continue;
    for (const e of r.events) {
      if (e.module !== GOVERNANCE_MODULE) continue;
      const d = obj(e.data);
      if (!d || typeof d.chain !== 'string' || typeof d.proposal !== 'number') continue;
      const chain = d.chain;
      const proposal = d.proposal;
      switch (e.type) {
        case 'ChainApproved':
        case 'ChainResumed': {
          const genesis = obj(d.genesis) as unknown as Genesis | undefined;
          if (!genesis || typeof d.genesisHash !== 'string') break;
          const vs = e.type === 'ChainApproved' ? validatorsOf(asJson(genesis.validators)) : validatorsOf(d.validators);
          if (!named(vs, did)) break;
          out.push({ type: 'start', chain, genesis, genesisHash: d.genesisHash, reason: e.type === 'ChainApproved' ? 'approved' : 'resumed', proposal, govHeight });
          break;
        }
        case 'ChainSuspended':
        case 'ChainRetired':
          if (!named(validatorsOf(d.validators), did)) break;
          out.push({ type: 'stop', chain, reason: e.type === 'ChainSuspended' ? 'suspended' : 'retired', proposal, govHeight });
          break;
        case 'RouteApproved':
          if (d.route !== undefined) out.push({ type: 'route', chain, route: d.route, proposal, govHeight });
          break;
        case 'ValidatorSetChanged': {
          const validators = validatorsOf(d.validators);
          const previous = validatorsOf(d.previous);
          if (!validators || !previous || typeof d.height !== 'number') break;
          const inNew = named(validators, did);
          const inOld = named(previous, did);
          if (!inNew && !inOld) break;
          const role = inNew && inOld ? 'stays' : inNew ? 'joins' : 'leaves';
          out.push({ type: 'validators', chain, validators, previous, height: d.height, role, proposal, govHeight });
          break;
        }
      }
    }
  }
  return out;
}

export interface WatcherOptions {
  /** The governance chain's blocks (ChainView.onBlock). */
  blocks: BlockSource;
  /** This node's DID. */
  did: string;
  /** Only blocks of this chain are read (default: any block the source sends). */
  chain?: string;
  /** Where a listener's exception goes; it never reaches the chain that committed the block. */
  onError?: (err: unknown) => void;
}

/**
 * Watches the governance chain and tells this node what the alliance decided about it:
 * `start` (a chain naming it was approved or resumed), `stop` (suspended or retired),
 * `validators` (a set it was, is or will be in changes at a height).
 */
export class ChainLifecycleWatcher {
  readonly did: string;
  private readonly listeners = new Set<(e: LifecycleEvent) => void>();
  private readonly unsubscribe: () => void;
  private readonly onError: (err: unknown) => void;

  constructor(opts: WatcherOptions) {
    this.did = opts.did;
    this.onError = opts.onError ?? ((err) => console.error('governance watcher listener failed:', err));
    this.unsubscribe = opts.blocks.onBlock((block) => {
      if (opts.chain !== undefined && block.header.chain !== opts.chain) return;
      this.handle(block);
    });
  }

  /** Adds a listener; returns a function that removes it. */
  on(listener: (e: LifecycleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Feeds a block by hand (e.g. blocks committed while the node was down); returns its events. */
  handle(block: Block): LifecycleEvent[] {
    const events = lifecycleEventsOf(block, this.did);
    for (const e of events) {
      for (const l of this.listeners) {
        try {
          l(e);
        } catch (err) {
          this.onError(err);
        }
      }
    }
    return events;
  }

  close(): void {
    this.unsubscribe();
    this.listeners.clear();
  }
}

/** A chain this node should be running now, by the registry. */
export interface Assignment {
  chain: string;
  genesis: Genesis;
  genesisHash: string;
  status: ChainRecord['status'];
  /** The latest approved validator set and the height of the chain it takes effect at. */
  validators: ValidatorInfo[];
  effectiveHeight: number;
}

/**
 * The chains the registry names `did` to validate and that may run (approved or active): the
 * latest set or the one before it, which validates until the change takes effect. What a node
 * starts at boot, before following new blocks with a ChainLifecycleWatcher.
 */
export async function assignedChains(src: StateSource, did: string, opts: ReadOptions = {}): Promise<Assignment[]> {
  const chains = await readChainRegistry(src, opts);
  const out: Assignment[] = [];
  for (const rec of chains) {
    if (rec.status !== 'approved' && rec.status !== 'active') continue;
    const recent = rec.validators.slice(-2);
    if (!recent.some((s) => named(s.validators, did))) continue;
    const last = recent[recent.length - 1]!;
    out.push({ chain: rec.id, genesis: rec.genesis, genesisHash: rec.genesisHash, status: rec.status, validators: last.validators, effectiveHeight: last.effectiveHeight });
  }
  return out;
}
