/**
 * Accord Project's template engine (@accordproject/template-engine 2.x, with concerto-core and
 * markdown-template) running a late-delivery-and-penalty template equivalent to
 * contracts/late-delivery: a Concerto model for the data, a TemplateMark text, and the penalty as
 * a TypeScript formula (`{{% … %}}`) — in template-engine 2.x, logic lives in formulas; there
 * is no separate request/response `trigger` in this package (that was Cicero/Ergo).
 *
 * The formula computes what lex computes: days late rounded up, rate × price × days / period
 * rounded half up, capped at a share of the price rounded half up, in integer minor units.
 *
 * One detail of this install: the repository's top-level `typescript` is 7.x, whose folder has
 * no lib.*.d.ts files, and @typescript/vfs (which the engine uses to type-check formulas) reads
 * the standard library from whatever `typescript` it resolves — so `Math` and `Date` would be
 * unknown names. `loadAccord` points vfs at the engine's own TypeScript (4.9) instead; nothing
 * else is changed.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const require = createRequire(import.meta.url);

const NS = 'org.accordproject.latedelivery@1.0.0';
const MODEL = `namespace ${NS}

@template
concept TemplateData {
  o String seller
  o String buyer
  o Long goodsMinor
  o DateTime agreedDelivery
  o DateTime deliveredAt
  o Long penaltyBasisPoints
  o Long penaltyPeriodDays
  o Long capBasisPoints
}`;

const FORMULA = `
  const days = Math.max(0, Math.ceil((new Date(data.deliveredAt).getTime() - new Date(data.agreedDelivery).getTime()) / 86400000));
  const n = data.penaltyBasisPoints * data.goodsMinor * days;
  const d = 10000 * data.penaltyPeriodDays;
  const p = Math.floor((2 * n + d) / (2 * d));
  const cap = Math.floor((2 * data.capBasisPoints * data.goodsMinor + 10000) / 20000);
  return Math.min(p, cap);
`;

const TEXT = (penalty: string) => `Late Delivery and Penalty.

{{seller}} shall deliver the Equipment to {{buyer}} no later than {{agreedDelivery as "D MMMM YYYY"}}. For every {{penaltyPeriodDays}} days of delay {{seller}} pays {{penaltyBasisPoints}} basis points of the price of {{goodsMinor}} minor units, any part of a day counting as a full day, up to {{capBasisPoints}} basis points of the price. The Equipment was delivered on {{deliveredAt as "D MMMM YYYY"}}; the penalty is ${penalty} minor units of CNY.`;

export interface AccordLateDelivery {
  /** The penalty in minor units, as the engine's generated agreement states it. */
  penalty(deliveredAt: number): Promise<number>;
  /** The same text with the penalty passed in as data (no formula): the engine's cost without logic. */
  textOnly(deliveredAt: number, penalty: number): Promise<void>;
  version: string;
}

interface Engine {
  generate(templateMark: object, data: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

export function loadAccord(terms: { seller: string; buyer: string; goodsMinor: number; agreed: number; rateBp: number; periodDays: number; capBp: number }): AccordLateDelivery {
  const enginePath = require.resolve('@accordproject/template-engine');
  const vfs = require('@typescript/vfs') as { createDefaultMapFromNodeModules: (o: unknown, ts?: unknown, dir?: string) => Map<string, string> };
  const tsLib = dirname(require.resolve('typescript', { paths: [dirname(enginePath)] }));
  const original = vfs.createDefaultMapFromNodeModules;
  vfs.createDefaultMapFromNodeModules = (o, ts, dir) => original(o, ts, dir ?? tsLib);

  const { ModelManager } = require('@accordproject/concerto-core') as { ModelManager: new (o: object) => { addCTOModel(m: string, f: string, d: boolean): void } };
  const { TemplateMarkTransformer } = require('@accordproject/markdown-template') as { TemplateMarkTransformer: new () => { fromMarkdownTemplate(i: { content: string }, mm: unknown, kind: string, o: object): object } };
  const { TemplateMarkInterpreter } = require('@accordproject/template-engine') as { TemplateMarkInterpreter: new (mm: unknown, lib: object) => Engine };
  const version = (require('@accordproject/template-engine/package.json') as { version: string }).version;

  const build = (model: string, text: string) => {
    const mm = new ModelManager({ strict: true });
    mm.addCTOModel(model, 'model.cto', true);
    const dom = new TemplateMarkTransformer().fromMarkdownTemplate({ content: text }, mm, 'contract', { verbose: false });
    return { dom, engine: new TemplateMarkInterpreter(mm, {}) };
  };
  const withLogic = build(MODEL, TEXT(`{{% ${FORMULA} %}}`));
  const textModel = MODEL.replace('o Long capBasisPoints', 'o Long capBasisPoints\n  o Long penalty');
  const plain = build(textModel, TEXT('{{penalty}}'));
  const data = (deliveredAt: number) => ({
    $class: `${NS}.TemplateData`, seller: terms.seller, buyer: terms.buyer, goodsMinor: terms.goodsMinor,
    agreedDelivery: new Date(terms.agreed).toISOString(), deliveredAt: new Date(deliveredAt).toISOString(),
    penaltyBasisPoints: terms.rateBp, penaltyPeriodDays: terms.periodDays, capBasisPoints: terms.capBp,
  });

  return {
    version,
    async penalty(deliveredAt) {
      const doc = await withLogic.engine.generate(withLogic.dom, data(deliveredAt), { now: new Date(deliveredAt).toISOString() });
      // The formula's value is the last "value" the agreement carries.
      const values = JSON.stringify(doc).match(/"value":"(-?\d+)"/g) ?? [];
      const last = values.at(-1);
      if (!last) throw new Error('the Accord agreement carries no penalty value');
      return Number(last.slice(9, -1));
    },
    async textOnly(deliveredAt, penalty) {
      await plain.engine.generate(plain.dom, { ...data(deliveredAt), penalty }, { now: new Date(deliveredAt).toISOString() });
    },
  };
}
