/** State keys of the settlement module, relative to its namespace (full key: `settlement/<key>`). */
export const MODULE = 'settlement';
export const sk = {
  issuer: (did: string) => `iss/${did}`,
  issuers: () => 'issuers',
  tax: () => 'tax',
  faucet: () => 'faucet',
  faucetGiven: (did: string, cur: string) => `fg/${did}/${cur}`,
  account: (cur: string, account: string) => `acct/${cur}/${account}`,
  accountEntry: (cur: string, account: string, k: number) => `ai/${cur}/${account}/${k}`,
  entry: (n: number) => `je/${n}`,
  seq: () => 'seq',
  totals: (cur: string) => `tot/${cur}`,
  currencies: () => 'currencies',
  deposit: (issuer: string, ref: string) => `dep/${issuer}/${ref}`,
  instruction: (id: string) => `ins/${id}`,
  instructionSeq: () => 'insn',
  payerInstruction: (payer: string, k: number) => `pi/${payer}/${k}`,
  payerInstructions: (payer: string) => `pic/${payer}`,
  queue: (cur: string, payer: string) => `wq/${cur}/${payer}`,
  queueItem: (cur: string, payer: string, i: number) => `wq/${cur}/${payer}/${i}`,
  mandate: (payer: string, cur: string, chain: string, port: string, contract: string) => `md/${payer}/${cur}/${chain}/${port}/${contract}`,
  hold: (owner: string, id: string) => `hd/${owner}/${id}`,
  period: (p: string, cur: string, account: string) => `ps/${p}/${cur}/${account}`,
  participants: (p: string, cur: string) => `pp/${p}/${cur}`,
  participant: (p: string, cur: string, i: number) => `pp/${p}/${cur}/${i}`,
  statement: (p: string, cur: string, account: string) => `stmt/${p}/${cur}/${account}`,
  clearing: (p: string, cur: string) => `clr/${p}/${cur}`,
};
/** Full state key (with the module prefix), for state reads and proofs. */
export const fullKey = (k: string): string => `${MODULE}/${k}`;
