/**
 * `shulian contract compile|render|test`: work with executable legal contract templates (lex)
 * on this machine; nothing here talks to a node.
 *
 * main.ts mounts it with `program.addCommand(contractCommand())`.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { ShulianError, type JsonValue } from '../../codec/index.ts';
import { emit, report, usage, type CommonOptions } from '../output.ts';
import { keyOption } from '../options.ts';
import { parsePartiesArg } from '../parties.ts';

async function lex(): Promise<typeof import('../../lex/index.ts')> {
  return import('../../lex/index.ts');
}

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new ShulianError('NOT_FOUND', `cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** A template path may be the .lex file or its folder. */
function templatePath(p: string): string {
  if (existsSync(p) && statSync(p).isDirectory()) {
    const lexFile = join(p, 'contract.lex');
    if (existsSync(lexFile)) return lexFile;
    throw usage(`${p} is a folder without contract.lex; give the .lex file itself`);
  }
  return p;
}

function readParams(file: string): Record<string, JsonValue> {
  let v: unknown;
  try {
    v = JSON.parse(readText(file, 'parameters file'));
  } catch (e) {
    if (e instanceof ShulianError) throw e;
    throw usage(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw usage(`${file} must hold a JSON object of parties and terms`);
  return v as Record<string, JsonValue>;
}

/**
 * The parties of a render: --parties (DIDs or your key names) over the params file's; any still
 * missing are the example DIDs of the template folder's parties.example.json, said on stderr.
 */
function withParties(params: Record<string, JsonValue>, names: string[], template: string, examplesName: string, o: ContractRenderOptions): Record<string, JsonValue> {
  const out = { ...params };
  if (o.parties) {
    for (const [p, d] of Object.entries(parsePartiesArg(o.parties))) {
      if (!names.includes(p)) throw usage(`--parties ${p}: the template has no such party (it has ${names.join(', ')})`);
      out[p] = d;
    }
  }
  const missing = names.filter((n) => out[n] === undefined);
  if (missing.length === 0) return out;
  const examplesFile = join(dirname(template), examplesName);
  const examples = existsSync(examplesFile) ? (JSON.parse(readText(examplesFile, 'example parties')) as Record<string, JsonValue>) : {};
  const unfilled = missing.filter((n) => typeof examples[n] !== 'string');
  if (unfilled.length) throw usage(`no DID for ${unfilled.join(', ')}: name ${unfilled.length > 1 ? 'them' : 'it'} with --parties ${unfilled.map((n) => `${n}=KEY`).join(',')} (a DID or one of your key names)`);
  for (const n of missing) out[n] = examples[n]!;
  process.stderr.write(`note: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} played by example DIDs (${relative(process.cwd(), examplesFile) || examplesFile}); name real parties with --parties ${missing.map((n) => `${n}=KEY`).join(',')}\n`);
  return out;
}

export interface ContractCompileOptions extends CommonOptions {
  warnings?: boolean;
}

export async function contractCompile(file: string, o: ContractCompileOptions): Promise<void> {
  const { parseTemplate, compile, formatDiagnostic } = await lex();
  const path = templatePath(file);
  const source = readText(path, 'template');
  const shown = relative(process.cwd(), path) || path;
  const { contract, diagnostics } = compile(parseTemplate(source, shown));
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const out = {
    ok: contract !== undefined,
    file: resolve(path),
    ...(contract ? { id: contract.id, version: contract.version, sourceHash: contract.sourceHash, clauses: contract.clauses.length, events: [...contract.handlers.keys()], obligations: contract.obligations.map((x) => x.name) } : {}),
    diagnostics,
  };
  emit(o, out, () => {
    const lines = diagnostics.filter((d) => d.severity === 'error' || o.warnings !== false).map(formatDiagnostic);
    if (contract) {
      lines.push(`ok         ${contract.id} ${contract.version}: ${contract.clauses.length} clause${contract.clauses.length === 1 ? '' : 's'}, ${contract.handlers.size} event${contract.handlers.size === 1 ? '' : 's'} and permissions, ${contract.obligations.length} obligation${contract.obligations.length === 1 ? '' : 's'}${diagnostics.length ? `, ${diagnostics.length} warning${diagnostics.length > 1 ? 's' : ''}` : ''}`);
      lines.push(`sm3        ${contract.sourceHash}`);
    } else {
      lines.push(`${errors.length} error${errors.length > 1 ? 's' : ''}: ${shown} does not compile`);
    }
    return lines;
  });
  if (!contract) process.exitCode = 1;
}

export interface ContractRenderOptions extends CommonOptions {
  params?: string;
  parties?: string;
  format: 'markdown' | 'html' | 'pdf';
  lang: 'en' | 'zh-CN';
  out?: string;
}

export async function contractRender(file: string, o: ContractRenderOptions): Promise<void> {
  const { compileSource, render, renderPdf, fingerprint, EXAMPLE_PARTIES_FILE } = await lex();
  const path = templatePath(file);
  const { contract } = compileSource(readText(path, 'template'), relative(process.cwd(), path) || path);
  const params = o.params ? withParties(readParams(o.params), contract.parties.map((p) => p.name), path, EXAMPLE_PARTIES_FILE, o) : undefined;
  if (o.parties && !o.params) throw usage('--parties fills in a --params file of terms; give --params too (e.g. the template\'s sample.json)');
  if (o.format === 'pdf') {
    if (!o.out) throw usage('a PDF is written to a file: give --out FILE.pdf');
    const pdf = await renderPdf(contract, params, { lang: o.lang });
    writeFileSync(o.out, pdf);
    emit(o, { file: resolve(o.out), format: o.format, lang: o.lang, bytes: pdf.length, template: contract.sourceHash }, () => [
      `wrote      ${o.out} (${pdf.length} bytes)`,
      `template   ${contract.sourceHash}`,
    ]);
    return;
  }
  const text = render(contract, params, { format: o.format, lang: o.lang });
  const fp = params ? fingerprint(contract, params, text) : undefined;
  if (o.out) {
    writeFileSync(o.out, text);
    emit(o, { file: resolve(o.out), format: o.format, lang: o.lang, template: contract.sourceHash, ...(fp ? { fingerprint: fp } : {}) }, () => [
      `wrote      ${o.out}`,
      `template   ${contract.sourceHash}`,
      ...(fp ? [`fingerprint ${fp}  (what the parties sign)`] : ['(no --params: this is the template, with each term shown as [its name])']),
    ]);
    return;
  }
  if (o.json) {
    emit(o, { text, format: o.format, lang: o.lang, template: contract.sourceHash, ...(fp ? { fingerprint: fp } : {}) }, () => '');
    return;
  }
  process.stdout.write(text);
}

export interface ContractTestOptions extends CommonOptions {
  verbose?: boolean;
}

export async function contractTest(dir: string, o: ContractTestOptions): Promise<void> {
  const { runScenarios, formatDiagnostic } = await lex();
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usage(`${dir} is not a folder; give a template folder or a folder of template folders (e.g. contracts)`);
  const r = runScenarios(dir);
  if (r.templates.length === 0) throw usage(`no templates under ${dir}: a template folder holds a .lex file, sample.json and scenarios/*.json`);
  emit(o, r, () => {
    const lines: string[] = [];
    for (const t of r.templates) {
      const name = relative(process.cwd(), t.dir) || t.dir;
      lines.push(`${t.passed ? 'ok  ' : 'FAIL'} ${name}${t.error ? `: ${t.error}` : ''}`);
      for (const d of t.diagnostics) if (d.severity === 'error' || o.verbose) lines.push(`       ${formatDiagnostic(d)}`);
      for (const f of t.files) {
        if (f.passed && !o.verbose) continue;
        lines.push(`     ${f.passed ? 'ok  ' : 'FAIL'} ${relative(dirname(f.file), f.file)}: ${f.name}`);
        for (const x of f.failures) lines.push(`            step ${x.step}: ${x.message}`);
      }
    }
    const files = r.templates.reduce((n, t) => n + t.files.length, 0);
    lines.push(`${r.ok ? 'ok' : 'FAILED'}: ${r.templates.length} templates, ${files} scenario files, ${r.passed} passed, ${r.failed} failed`);
    return lines;
  });
  if (!r.ok) process.exitCode = 1;
}

function run<A extends unknown[]>(body: (...args: A) => Promise<void>) {
  return async (...args: A): Promise<void> => {
    const opts = args[args.length - 2] as CommonOptions;
    try {
      await body(...args);
    } catch (err) {
      process.exitCode = report(err, opts);
    }
  };
}

/** The `contract` command with its subcommands, for `program.addCommand(contractCommand())`. */
export function contractCommand(): Command {
  const contract = new Command('contract').description('executable legal contracts (lex): compile, render and test templates; draft, sign, run, dispute and prove contracts on the signing chain');
  contract
    .command('compile')
    .description('check a template: types, names, deadlines, rules that can never apply, wording in both languages')
    .argument('<file>', 'the .lex template, or its folder')
    .option('--no-warnings', 'show errors only')
    .addOption(new Option('--json', 'print JSON'))
    .action(run(async (file: string, o: ContractCompileOptions) => contractCompile(file, o)));
  contract
    .command('render')
    .description('print the legal text of a template, filled in with --params (Markdown, HTML or PDF; English or Chinese)')
    .argument('<file>', 'the .lex template, or its folder')
    .option('--params <file>', 'JSON file with the terms, e.g. the template\'s sample.json (without it: the blank template)')
    .option('--parties <parties>', 'who plays each party: seller=alice,buyer=bob (DIDs or your key names); without it, the template folder\'s example DIDs')
    .addOption(new Option('--format <format>', 'output format (pdf needs --out)').choices(['markdown', 'html', 'pdf']).default('markdown'))
    .addOption(new Option('--lang <lang>', 'language').choices(['en', 'zh-CN']).default('zh-CN'))
    .option('--out <file>', 'write the text to this file instead of printing it')
    .addOption(new Option('--json', 'print JSON (text and fingerprint)'))
    .action(run(async (file: string, o: ContractRenderOptions) => contractRender(file, o)));
  contract
    .command('test')
    .description('run the scenario tests of a template folder, or of every template under a folder')
    .argument('[dir]', 'template folder or folder of templates', 'contracts')
    .option('--verbose', 'list passing scenarios and warnings too')
    .addOption(new Option('--json', 'print JSON'))
    .action(run(async (dir: string, o: ContractTestOptions) => contractTest(dir, o)));
  addChainCommands(contract);
  return contract;
}

/** On-chain contracts: deploy, draft, sign, events, status, evidence and offline replay. */
function addChainCommands(contract: Command): void {
  const chainOpts = (c: Command, signs: boolean): Command => {
    c.option('--chain <id>', 'signing chain', 'sign').option('--api <url>', 'node API URL').addOption(new Option('--json', 'print JSON'));
    if (signs) c.addOption(keyOption('signing party\'s key')).option('--password-env <var>', 'read the keystore password from this variable');
    return c;
  };
  const lazy = async () => import('./contract-chain.ts');
  type O = import('./contract-chain.ts').ContractChainOptions & {
    template: string; params: string; parties: string; input?: string; out: string;
    countersigner?: string; countersignerRole?: string; disputeAllows?: string; reason: string; note?: string; genesisHash?: string;
  };
  chainOpts(contract.command('deploy').description('deploy a .lex template on the signing chain').argument('<file>', 'the .lex template'), true)
    .action(run(async (file: string, o: O) => (await lazy()).contractDeploy(file, o)));
  chainOpts(contract.command('draft').description('draft a contract from a deployed template: its parameters and the parties\' DIDs'), true)
    .requiredOption('--template <hash>', 'deployed template hash')
    .requiredOption('--params <file>', 'JSON file with the terms, e.g. the template\'s sample.json')
    .requiredOption('--parties <parties>', 'who plays each party: seller=alice,buyer=bob (DIDs or your key names), or JSON {"seller":"did:shulian:…",…}')
    .option('--countersigner <did>', 'a notary or court that countersigns after the parties and resolves disputes')
    .addOption(new Option('--countersigner-role <role>', 'what the countersigner is').choices(['notary', 'court']).default('notary'))
    .option('--dispute-allows <events>', 'comma-separated events the contract still accepts while disputed')
    .action(run(async (o: O) => (await lazy()).contractDraft(o)));
  chainOpts(contract.command('sign').description('sign a drafted contract after recomputing its fingerprint from proven data').argument('<id>', 'contract id'), true)
    .option('--countersign', 'sign as the notary or court named in the contract (after every party)')
    .action(run(async (id: string, o: O) => (await lazy()).contractSign(id, o)));
  chainOpts(contract.command('dispute').description('as a party, raise a dispute: the contract is frozen until it is resolved').argument('<id>', 'contract id'), true)
    .requiredOption('--reason <text>', 'what is disputed')
    .action(run(async (id: string, o: O) => (await lazy()).contractDispute(id, o)));
  chainOpts(contract.command('resolve').description('resolve a dispute: the named notary or court (or, without one, the party that raised it, to withdraw it)').argument('<id>', 'contract id')
    .addArgument(new Argument('<outcome>', 'what becomes of the contract').choices(['resume', 'complete', 'terminate'])), true)
    .option('--note <text>', 'the decision, in words')
    .action(run(async (id: string, outcome: string, o: O) => (await lazy()).contractResolve(id, outcome, o)));
  chainOpts(contract.command('settle').description('send the contract\'s pending settlement instructions to the settlement chain (through xchain)').argument('<id>', 'contract id'), true)
    .action(run(async (id: string, o: O) => (await lazy()).contractSettle(id, o)));
  chainOpts(contract.command('submit-event').description('send an event to an active contract (a delivery report, a termination, …)').argument('<id>', 'contract id').argument('<event>', 'event name'), true)
    .option('--input <json>', 'event input as JSON')
    .action(run(async (id: string, event: string, o: O) => (await lazy()).contractEvent(id, event, o)));
  chainOpts(contract.command('status').description('a contract: status, parties and signatures, obligations, events, settlement instructions and the history of every transition').argument('<id>', 'contract id'), false)
    .action(run(async (id: string, o: O) => (await lazy()).contractStatus(id, o)));
  chainOpts(contract.command('evidence').description('export the evidence package: template, texts, signatures, events, history and final state, each bound to signed blocks; checked before it is written').argument('<id>', 'contract id'), false)
    .requiredOption('--out <file>', 'where to write the package')
    .option('--genesis-hash <hex>', 'pin the signing chain\'s genesis hash (default: the pin stored on first use, see docs/cli.md)')
    .action(run(async (id: string, o: O) => (await lazy()).contractEvidence(id, o)));
  contract.command('replay').description('check an evidence package offline against a trust root you give: every item bound to signed blocks, the fingerprint, and a replay of every event to the final state; exit 1 naming the item that fails')
    .argument('<file>', 'evidence package')
    .option('--genesis-hash <hex>', 'the signing chain\'s genesis hash, from a source you trust (the package\'s own genesis must hash to it)')
    .option('--api <url>', 'or: take the genesis from this node (trusted on first use, then pinned)')
    .addOption(new Option('--json', 'print JSON'))
    .action(run(async (file: string, o: O) => (await lazy()).contractReplay(file, o)));
}
