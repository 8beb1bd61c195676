/**
 * `POST /v1/evm/compile {source}`: compiles one Solidity source for the console's contract IDE
 * (issue #25 item 3) on the node's solc worker (api/solc.ts: size, queue and time bounds). The
 * answer is the ABI and bytecode of each contract and the compiler's diagnostics with line and
 * column; a source that does not compile answers 200 with `ok: false` and its diagnostics, like
 * POST /v1/contracts/compile for lex. Deploying is a signed `evm.deploy` tx on a chain running
 * the evm module; the node keeps nothing of the compile.
 */
import type { FastifyInstance } from 'fastify';
import { SolcCompiler, type SolcOptions } from '../solc.ts';
import { errorSchema } from '../schemas.ts';

export function registerSolidityRoutes(app: FastifyInstance, opts: SolcOptions | SolcCompiler = {}): SolcCompiler {
  const solc = opts instanceof SolcCompiler ? opts : new SolcCompiler(opts);
  if (!(opts instanceof SolcCompiler)) app.addHook('onClose', async () => solc.close());
  app.post<{ Body: { source: string } }>('/v1/evm/compile', {
    // The body may be a little larger than the source (JSON escapes); the compiler checks the source's own size.
    bodyLimit: solc.maxSourceBytes * 2 + 1024,
    schema: {
      tags: ['contracts'],
      summary: 'Compile a Solidity source (solc, EVM shanghai): ABI, bytecode and diagnostics with line/column',
      body: { type: 'object', additionalProperties: false, required: ['source'], properties: { source: { type: 'string' } } },
      response: { 400: errorSchema, 413: errorSchema, 503: errorSchema },
    },
  }, async (req) => solc.compile(req.body.source));
  return solc;
}
