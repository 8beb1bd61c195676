/** Browser stand-in for src/crypto/pool.ts: no worker threads in the console; it verifies one signature at a time. */
export class VerifyPool {
  constructor() {
    throw new Error('VerifyPool (worker threads) is not available in the browser console');
  }
}
