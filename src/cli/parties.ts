/**
 * `--parties` of `contract draft` and `contract render`: who plays each party, as
 * `seller=alice,buyer=did:shulian:…` or as JSON `{"seller": "alice", …}`. A value is a DID, or
 * one of your key names / a keystore file standing for its DID (src/cli/keyfile.ts).
 */
import { didOf } from './keyfile.ts';
import { usage } from './output.ts';

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function parsePartiesArg(text: string): Record<string, string> {
  let pairs: Array<[string, unknown]>;
  if (text.trim().startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw usage(`--parties is not valid JSON: ${(e as Error).message}; or write it as seller=alice,buyer=bob`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw usage('--parties must map each party to a DID or key name, e.g. seller=alice,buyer=bob');
    pairs = Object.entries(v);
  } else {
    pairs = text.split(',').map((s) => s.trim()).filter(Boolean).map((p) => {
      const i = p.indexOf('=');
      if (i <= 0) throw usage(`--parties takes party=DID-or-key pairs separated by commas (seller=alice,buyer=bob); "${p}" has no "="`);
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()];
    });
  }
  if (pairs.length === 0) throw usage('--parties names no party');
  const out: Record<string, string> = {};
  for (const [name, ref] of pairs) {
    if (!NAME_RE.test(name)) throw usage(`--parties: "${name}" is not a party name`);
    if (typeof ref !== 'string' || ref === '') throw usage(`--parties ${name}: give a DID or one of your key names`);
    if (Object.hasOwn(out, name)) throw usage(`--parties names ${name} twice`);
    out[name] = didOf(ref, `--parties ${name}`);
  }
  return out;
}
