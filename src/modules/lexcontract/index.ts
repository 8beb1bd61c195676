import { z } from 'zod';
import type { JsonValue } from '../../codec/index.ts';
import { method, ModuleError, type ModuleContext, type ModuleDef } from '../../runtime/index.ts';
import {
  compileSource, execute, fingerprint, instantiate, render, LexCompileError, LexError,
  type Contract, type ContractState,
} from '../../lex/index.ts';

/**
 * lexcontract — executable legal contracts (lex templates) on the signing chain.
 *
 *   deploy {source}                         → stores the template source at tpl/<sourceHash>
 *   draft  {template, params, parties}      → inst/<txHash>, status 'signing'
 *   sign   {id, fingerprint}                → each party signs what it saw; all signed → 'active', state/<id>
 *   event  {id, event, input?}              → execute; new state/<id>, log/<id>/<seq>
 *
 * Parties: a lex template takes each party's DID as a parameter named after the party
 * (`seller`, `buyer`). `parties` must name exactly the template's parties; their DIDs are merged
 * into the parameters (a party given in both must agree), and the merged parameters are what is
 * fingerprinted, instantiated and stored.
 */

export type InstanceStatus = 'signing' | 'active' | 'terminated';

export interface SignatureRecord {
  height: number;
  time: number;
  tx: string;
}

export interface LexInstance {
  id: string;
  template: string;
  /** Full parameters: the terms and each party's DID. */
  params: Record<string, JsonValue>;
  /** Party name → DID. */
  parties: Record<string, string>;
  fingerprint: string;
  status: InstanceStatus;
  /** Party name → signature record. */
  signatures: Record<string, SignatureRecord>;
  createdAt: { height: number; time: number };
  activatedAt?: { height: number; time: number };
}

export interface LexLogEntry {
  event: string;
  input: Record<string, JsonValue>;
  sender: string;
  height: number;
  time: number;
  tx: string;
}

/** Gas per byte of template source compiled on deploy (on top of the write of the source). */
export const DEPLOY_GAS_PER_BYTE = 20;
/** Gas cap handed to the lex engine for one event. */
export const EVENT_GAS_LIMIT = 1_000_000;

export const templateKey = (hash: string): string => `tpl/${hash}`;
export const instanceKey = (id: string): string => `inst/${id}`;
export const stateKey = (id: string): string => `state/${id}`;
export const logKey = (id: string, seq: number): string => `log/${id}/${seq}`;
/** Full state keys (for chain.getState). */
export const lexStateKey = (key: string): string => `lexcontract/${key}`;

const HEX64 = /^[0-9a-f]{64}$/;
const hash = z.string().regex(HEX64, '64 lowercase hex digits');
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);
const jsonObject = z.record(z.string(), jsonValue);

const deployArgs = z.strictObject({ source: z.string().min(1).max(60_000) });
const draftArgs = z.strictObject({
  template: hash,
  params: jsonObject,
  parties: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().min(1).max(256)),
});
const signArgs = z.strictObject({ id: hash, fingerprint: hash });
const eventArgs = z.strictObject({
  id: hash,
  event: z.string().min(1).max(128),
  input: jsonObject.optional(),
});

/** Compiled templates by source hash. Compilation is pure, so this cache is deterministic. */
const compiled = new Map<string, Contract>();

function compileOrThrow(source: string): Contract {
  try {
    return compileSource(source).contract;
  } catch (e) {
    if (e instanceof LexCompileError) throw new ModuleError('LEX_COMPILE', e.message);
    throw e;
  }
}

/**
 * The compiled template. The stored source is always read (so gas does not depend on whether
 * this node's cache is warm); compilation is skipped when the cache has it.
 */
function loadContract(ctx: ModuleContext, template: string): { contract: Contract; source: string } {
  const source = ctx.get(templateKey(template));
  if (typeof source !== 'string') throw new ModuleError('LEX_TEMPLATE_NOT_FOUND', `no template ${template} is deployed`);
  let contract = compiled.get(template);
  if (!contract) {
    contract = compileOrThrow(source);
    compiled.set(contract.sourceHash, contract);
  }
  return { contract, source };
}

function loadInstance(ctx: ModuleContext, id: string): LexInstance {
  const inst = ctx.get(instanceKey(id));
  if (inst === undefined) throw new ModuleError('LEX_INSTANCE_NOT_FOUND', `no contract instance ${id}`);
  return inst as unknown as LexInstance;
}

/** Rethrows a LexError (e.g. BAD_PARAMS) as a ModuleError with the same code. */
function lexCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof LexError) throw new ModuleError(e.code, e.message);
    throw e;
  }
}

/** The texts each party reads before signing, as fingerprinted. */
export function renderedTexts(contract: Contract, params: Record<string, JsonValue>): Record<string, string> {
  return {
    en: render(contract, params, { format: 'markdown', lang: 'en' }),
    'zh-CN': render(contract, params, { format: 'markdown', lang: 'zh-CN' }),
  };
}

/** What the parties sign for a template and parameters (party DIDs included). */
export function instanceFingerprint(contract: Contract, params: Record<string, JsonValue>): string {
  return fingerprint(contract, params, renderedTexts(contract, params));
}

export const lexcontractModule: ModuleDef = {
  name: 'lexcontract',
  description: 'Executable legal contracts in lex: deploy templates, draft instances, sign their fingerprint, execute signed events.',
  methods: {
    deploy: method({
      doc: 'Deploy a lex template source; returns its sourceHash. Idempotent. Fails with LEX_COMPILE on the first compile error.',
      args: deployArgs,
      gas: 5_000,
      run(ctx, args) {
        ctx.charge(DEPLOY_GAS_PER_BYTE * Buffer.byteLength(args.source, 'utf8'), 'compiling the template');
        const contract = compileOrThrow(args.source);
        const h = contract.sourceHash;
        if (!compiled.has(h)) compiled.set(h, contract);
        const fresh = !ctx.has(templateKey(h));
        if (fresh) {
          ctx.set(templateKey(h), args.source);
          ctx.emit('Deployed', { template: h, id: contract.id, version: contract.version });
        }
        return { template: h, id: contract.id, version: contract.version, fresh };
      },
    }),

    draft: method({
      doc: 'Draft a contract instance {template, params, parties: {party: DID}}; its id is the tx hash. Parties then sign its fingerprint.',
      args: draftArgs,
      gas: 10_000,
      run(ctx, args) {
        const { contract, source } = loadContract(ctx, args.template);
        const names = contract.parties.map((p) => p.name);
        const given = Object.keys(args.parties);
        const missing = names.filter((n) => !Object.hasOwn(args.parties, n));
        const extra = given.filter((n) => !names.includes(n));
        if (missing.length || extra.length) {
          throw new ModuleError('BAD_PARTIES', `parties must name exactly ${names.join(', ')}${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; not a party: ${extra.join(', ')}` : ''}`);
        }
        const params: Record<string, JsonValue> = { ...args.params };
        for (const n of names) {
          const did = args.parties[n]!;
          if (params[n] !== undefined && params[n] !== did) throw new ModuleError('BAD_PARTIES', `params.${n} (${String(params[n])}) differs from parties.${n} (${did})`);
          params[n] = did;
        }
        const dids = names.map((n) => args.parties[n]!);
        if (new Set(dids).size !== dids.length) throw new ModuleError('BAD_PARTIES', 'each party must be a different DID');
        // Instantiate-check the parameters (BAD_PARAMS …); charge the rendering by the source size.
        lexCall(() => instantiate(contract, params, { instance: ctx.txHash }));
        ctx.charge(2 * source.length, 'rendering the contract texts');
        const fp = lexCall(() => instanceFingerprint(contract, params));
        const id = ctx.txHash;
        const inst: LexInstance = {
          id, template: args.template, params, parties: { ...args.parties }, fingerprint: fp, status: 'signing', signatures: {},
          createdAt: { height: ctx.height, time: ctx.time },
        };
        ctx.set(instanceKey(id), inst as unknown as JsonValue);
        ctx.emit('Drafted', { id, template: args.template, fingerprint: fp, parties: { ...args.parties } });
        return { id, fingerprint: fp };
      },
    }),

    sign: method({
      doc: 'Sign a drafted instance {id, fingerprint} as one of its parties; when all have signed it becomes active.',
      args: signArgs,
      gas: 5_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        if (inst.status !== 'signing') throw new ModuleError('LEX_NOT_SIGNING', `contract ${args.id} is ${inst.status}, not open for signing`);
        const role = Object.keys(inst.parties).find((n) => inst.parties[n] === ctx.sender);
        if (role === undefined) throw new ModuleError('LEX_NOT_PARTY', `${ctx.sender} is not a party to contract ${args.id}`);
        if (args.fingerprint !== inst.fingerprint) throw new ModuleError('LEX_FINGERPRINT_MISMATCH', `the fingerprint signed (${args.fingerprint}) is not the contract's (${inst.fingerprint})`);
        if (Object.hasOwn(inst.signatures, role)) throw new ModuleError('LEX_ALREADY_SIGNED', `${role} (${ctx.sender}) has already signed contract ${args.id}`);
        const signatures = { ...inst.signatures, [role]: { height: ctx.height, time: ctx.time, tx: ctx.txHash } };
        const complete = Object.keys(inst.parties).every((n) => Object.hasOwn(signatures, n));
        const next: LexInstance = { ...inst, signatures };
        ctx.emit('Signed', { id: args.id, party: role, did: ctx.sender });
        if (complete) {
          const { contract } = loadContract(ctx, inst.template);
          const state = lexCall(() => instantiate(contract, inst.params, { instance: inst.id }));
          next.status = 'active';
          next.activatedAt = { height: ctx.height, time: ctx.time };
          ctx.set(stateKey(inst.id), state as unknown as JsonValue);
          ctx.emit('Activated', { id: args.id });
        }
        ctx.set(instanceKey(args.id), next as unknown as JsonValue);
        return { id: args.id, party: role, status: next.status };
      },
    }),

    event: method({
      doc: 'Send a lex event {id, event, input?} to an active instance; refused requests fail the tx and change nothing.',
      args: eventArgs,
      gas: 5_000,
      run(ctx, args) {
        const inst = loadInstance(ctx, args.id);
        if (inst.status !== 'active') throw new ModuleError('LEX_NOT_ACTIVE', `contract ${args.id} is ${inst.status}`);
        const { contract } = loadContract(ctx, inst.template);
        const state = ctx.get(stateKey(args.id)) as unknown as ContractState;
        const input = args.input ?? {};
        const r = execute(contract, state, { event: args.event, input }, { time: ctx.time, gasLimit: EVENT_GAS_LIMIT, sender: ctx.sender });
        ctx.charge(r.gasUsed, `executing ${args.event}`);
        if (!r.ok) throw new ModuleError(r.rejection.code, r.rejection.message.en);
        const seq = state.seq;
        ctx.set(stateKey(args.id), r.state as unknown as JsonValue);
        const entry: LexLogEntry = { event: args.event, input, sender: ctx.sender, height: ctx.height, time: ctx.time, tx: ctx.txHash };
        ctx.set(logKey(args.id, seq), entry as unknown as JsonValue);
        for (const ev of r.events) ctx.emit(ev.type, { id: args.id, ...ev.data });
        for (const s of r.settlements) ctx.emit('Settlement', { id: args.id, ...(s as unknown as Record<string, JsonValue>) });
        if (r.state.status === 'terminated') {
          ctx.set(instanceKey(args.id), { ...inst, status: 'terminated' } as unknown as JsonValue);
        }
        return { id: args.id, seq, status: r.state.status, response: r.response, settlements: r.settlements as unknown as JsonValue };
      },
    }),
  },
};
