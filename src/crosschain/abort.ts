/**
 * Stopping a gateway: its txs' commit waits end as soon as it stops (issue #15: Ctrl-C on
 * `shulian up --validators 4` waited out a 30 s commit timeout on chains whose validators were
 * stopping too).
 */
import { ShulianError } from '../codec/index.ts';

export function gatewayStopped(chain: string): ShulianError {
  return new ShulianError('GATEWAY_STOPPED', `the gateway stopped while waiting for its transaction on ${chain} to commit`);
}

/** `wait` until it settles, or a rejection with GATEWAY_STOPPED as soon as `signal` aborts. */
export function untilAborted<T>(wait: Promise<T>, signal: AbortSignal | undefined, chain: string): Promise<T> {
  if (!signal) return wait;
  if (signal.aborted) {
    wait.catch(() => undefined);
    return Promise.reject(gatewayStopped(chain));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      wait.catch(() => undefined);
      reject(gatewayStopped(chain));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    wait.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e as Error); },
    );
  });
}
