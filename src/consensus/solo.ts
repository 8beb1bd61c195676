import type { BlockProducer, ConsensusEngine } from './types.ts';

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
 */
export class SoloConsensus implements ConsensusEngine {
  readonly type = 'solo' as const;
  private running = false;
  private woken = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(private readonly chain: BlockProducer, private readonly opts: SoloOptions = {}) {
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
        produced = (await this.chain.produceBlock(clock())) !== null;
      } catch (err) {
        this.opts.onError?.(err);
        await this.waitFor(this.opts.retryMs ?? 1000);
        continue;
      }
      if (!produced && !this.woken && this.running) await this.waitFor(this.opts.idleMs ?? 5000);
    }
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
