/**
 * The sender's process of `npm run bench -- psi`: PartyB behind the same wire format and signed
 * messages as `shulian privacy serve` (src/privacy/wire.ts), without the chain (the bench times
 * the computation flow; the control flow is timed by the dataauth bench). Reads its set from the
 * argv seed: records `did:…<i>` for i in [offset, offset + n), with values when `--columns` > 0.
 */
import { createServer } from 'node:http';
import {
  PartyB, checkSignature, decodeElements, encodeCiphertexts, encodeElements, type Protocol, type Row,
} from '../../src/privacy/index.ts';


const [n, offset, protocol, columns, nHex, hHex] = process.argv.slice(2);
const rows: Row[] = [];
for (let i = Number(offset); i < Number(offset) + Number(n); i++) {
  rows.push(Number(columns) ? { id: benchDid(i), values: Array.from({ length: Number(columns) }, (_, c) => BigInt((i * (c + 3)) % 100_000)) } : { id: benchDid(i) });
}
function benchDid(i: number): string {
  return `did:shulian:bench${i}`;
}
const paillier = nHex ? { n: BigInt('0x' + nHex), h: BigInt('0x' + hHex!) } : undefined;
const b = new PartyB({ run: 'bench:1', protocol: protocol as Protocol, group: 'x25519', columns: Number(columns) }, rows, paillier);
let answers: Uint8Array[] | undefined;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const path = new URL(req.url!, 'http://x').pathname;
      checkSignature(req.headers, path, text);
      const m = JSON.parse(text) as { count: number; elements: string; from: number; to: number };
      let out: unknown;
      if (path.endsWith('/open')) { b.expect(m.count); out = { count: b.size }; }
      else if (path.endsWith('/mask')) { const r = await b.answer(decodeElements(m.elements, b.group, 'mask')); out = protocol === 'psi' ? { elements: encodeElements(r) } : {}; }
      else if (path.endsWith('/answers')) { answers ??= b.shuffledAnswers(); out = { elements: encodeElements(answers.slice(m.from, m.to)) }; }
      else { const o = await b.own(m.from, m.to); out = o.ciphertexts ? { elements: encodeElements(o.elements), ciphertexts: encodeCiphertexts(o.ciphertexts) } : { elements: encodeElements(o.elements) }; }
      const s = JSON.stringify(out);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(s);
    } catch (e) {
      res.writeHead(400);
      res.end(JSON.stringify({ code: 'PRIVACY_PEER', message: (e as Error).message }));
    }
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`${typeof a === 'object' && a ? a.port : 0}\n`);
});
