/**
 * The peer the solo bench reads against (issue #20): a real Ethereum dev node, anvil (Foundry),
 * taking pre-signed ETH transfers over JSON-RPC (eth_sendRawTransaction in batched requests)
 * with interval mining (`--block-time 1`); committed txs counted from the mined blocks.
 * The binary comes with the optional dependency @foundry-rs/anvil-linux-amd64; elsewhere the
 * bench says why it has no peer figure and goes on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HDNodeWallet, Mnemonic, Transaction } from 'ethers';
import { procCpuMs } from './cpu.ts';
import { freePort } from '../../test/helpers/node-process.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(root, 'node_modules', '@foundry-rs', 'anvil-linux-amd64', 'bin', 'anvil');
/** anvil's default dev mnemonic: its accounts are funded at genesis. */
const MNEMONIC = 'test test test test test test test test test test test junk';

export type AnvilResult =
  | { anvilTxPerSec: number; anvilTxs: number; anvilSeconds: number; anvilCpuUsPerTx: number; anvilVersion: string }
  | { anvilSkipped: string };

/** `count` legacy transfers from `senders` dev accounts, signed before anything is timed. */
function presignTransfers(count: number, senders: number): string[] {
  const m = Mnemonic.fromPhrase(MNEMONIC);
  const keys = Array.from({ length: senders }, (_, i) => HDNodeWallet.fromMnemonic(m, `m/44'/60'/0'/0/${i}`).signingKey);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const t = Transaction.from({ to: '0x000000000000000000000000000000000000dEaD', value: 1n, nonce: Math.floor(i / senders), gasLimit: 21000, gasPrice: 2_000_000_000n, chainId: 31337, type: 0 });
    // What Wallet.signTransaction does, without a provider.
    t.signature = keys[i % senders]!.sign(t.unsignedHash);
    out.push(t.serialized);
  }
  return out;
}

async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`anvil: HTTP ${res.status}`);
  return res.json();
}

async function call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = (await rpc(url, { jsonrpc: '2.0', id: 1, method, params })) as { result?: T; error?: { message: string } };
  if (r.error) throw new Error(`anvil ${method}: ${r.error.message}`);
  return r.result as T;
}

/**
 * Runs anvil, sends `count` pre-signed transfers in batches of `batch` (a few requests in
 * flight) and waits until all are mined. Rate: committed txs ÷ (last block seen − first send).
 */
export async function runAnvilPeer(count: number, opts: { batch?: number; inflight?: number; senders?: number } = {}): Promise<AnvilResult> {
  if (process.platform !== 'linux' || process.arch !== 'x64') return { anvilSkipped: `anvil ships here only for linux-x64 (@foundry-rs/anvil-linux-amd64); this is ${process.platform}-${process.arch}` };
  if (!existsSync(BIN)) return { anvilSkipped: `${BIN} is absent (the optional dependency @foundry-rs/anvil-linux-amd64 did not install)` };
  const batch = opts.batch ?? 500;
  const inflight = opts.inflight ?? 3;
  const senders = opts.senders ?? 10;
  const raws = presignTransfers(count, senders);
  const port = await freePort();
  // A block gas limit far above the load (the default 30M would cap blocks at 1,428 transfers); one block a second.
  const proc = spawn(BIN, ['--port', String(port), '--host', '127.0.0.1', '--block-time', '1', '--accounts', String(senders), '--gas-limit', '100000000000', '--silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    const deadline = Date.now() + 30_000;
    let version = '';
    for (;;) {
      try {
        version = await call<string>(url, 'web3_clientVersion');
        break;
      } catch {
        if (proc.exitCode !== null) throw new Error(`anvil exited (${proc.exitCode}): ${err}`);
        if (Date.now() > deadline) throw new Error('anvil did not answer within 30 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const startBlock = Number(await call<string>(url, 'eth_blockNumber'));
    const cpu0 = procCpuMs(proc.pid!);
    const bodies: string[] = [];
    for (let i = 0; i < raws.length; i += batch) {
      bodies.push(JSON.stringify(raws.slice(i, i + batch).map((raw, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [raw] }))));
    }
    const start = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answers = (await res.json()) as Array<{ error?: { message: string } }>;
        const bad = answers.find((a) => a.error);
        if (bad) throw new Error(`anvil refused a transfer: ${bad.error!.message}`);
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    // Count mined txs block by block until all are in.
    let committed = 0;
    let seen = startBlock;
    let end = start;
    const waitUntil = Date.now() + 120_000;
    while (committed < count) {
      const head = Number(await call<string>(url, 'eth_blockNumber'));
      const now = performance.now();
      for (let b = seen + 1; b <= head; b++) {
        const block = await call<{ transactions: string[] }>(url, 'eth_getBlockByNumber', ['0x' + b.toString(16), false]);
        committed += block.transactions.length;
        end = now;
      }
      seen = head;
      if (committed >= count) break;
      if (Date.now() > waitUntil) throw new Error(`anvil: only ${committed}/${count} mined after 120 s`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const cpuMs = procCpuMs(proc.pid!) - cpu0;
    const seconds = (end - start) / 1000;
    return {
      anvilTxPerSec: Math.round(committed / seconds), anvilTxs: committed, anvilSeconds: Number(seconds.toFixed(2)),
      anvilCpuUsPerTx: Math.round((cpuMs * 1000) / committed), anvilVersion: version,
    };
  } finally {
    const exited = new Promise((r) => (proc.exitCode !== null ? r(null) : proc.once('exit', r)));
    proc.kill('SIGTERM');
    await exited;
  }
}
