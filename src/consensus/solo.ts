import type { Candidate, ConsensusHost, ConsensusEngine } from './types.ts';

export interface SoloOptions {
  /** Where to report a failed block attempt; the engine retries after `retryMs`. */
  onError?: (err: unknown) => void;
  retryMs?: number;
  /** Longest idle wait before checking the mempool again (expiry pruning). */
  idleMs?: number;
  /** Wall clock; block time comes from here and nowhere else. */
  clock?: () => number;
}

/**
 * One validator: a block as soon as txs are waiting and the previous block has committed.
 * While a block commits, new txs gather, so blocks grow with load instead of waiting on a timer.
 * A block is committed as soon as it is proposed, and never empty.
 */
export class SoloConsensus<C extends Candidate = Candidate> implements ConsensusEngine {
  readonly type = 'solo' as const;
  private running = false;
  private woken = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(private readonly chain: ConsensusHost<C>, private readonly opts: SoloOptions = {}) {
    chain.onTxs(() => this.notify());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.notify();
    await this.loopDone;
  }

  private notify(): void {
    this.woken = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async loop(): Promise<void> {
    const clock = this.opts.clock ?? Date.now;
    while (this.running) {
      this.woken = false;
      let produced = false;
      try {
        produced = await this.produce(clock());
      } catch (err) {
        this.opts.onError?.(err);
        await this.waitFor(this.opts.retryMs ?? 1000);
        continue;
      }
      if (!produced && !this.woken && this.running) await this.waitFor(this.opts.idleMs ?? 5000);
    }
  }

  /** Proposes a block from the mempool and commits it at once; false when there is nothing to do. */
  private async produce(now: number): Promise<boolean> {
    const candidate = await this.chain.proposeBlock(now);
    if (!candidate) return false;
    await this.chain.commitCandidate(candidate);
    return true;
  }

  private waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.wake === done) self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }
}
