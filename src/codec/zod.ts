/**
 * zod as every Shulian schema gets it: with its JIT off. zod 4 compiles each object schema into a
 * parser with `new Function` the first time it parses. Schemas run inside what a chain executes
 * (a module export's args, checked on every node), where no code is generated or eval'd
 * (DESIGN §3, determinism), and each process paid that compile at its first txs and requests.
 * Import `z` from ./schemas.ts, codec's zod face, not from 'zod' (test/zod-jitless.test.ts keeps it so).
 */
import { z } from 'zod';

z.config({ jitless: true });

export { z };
