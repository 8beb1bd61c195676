/**
 * The console's session: language, the signed-in DID and its bearer token, the key held in this
 * tab's memory (never stored in the clear), and the one SDK client every page uses. A keystore
 * used to sign in is kept, still encrypted, in this tab's sessionStorage, so that after a reload
 * the session goes on and the key is unlocked again with its password. A live channel on the
 * governance chain (the WebSocket stream) tells pages when proposals, votes, members or chains change.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  ConsoleClient, ShulianClient, ShulianError, foreign,
  type Call, type CommittedTx, type KeyPair,
} from '../../src/sdk/browser.ts';
import { decryptKeystoreAsync } from '../shims/keystore.ts';
import { didFromPublicKey, fromHex, publicKeyFromPrivate, toHex, type Suite } from '../../src/sdk/browser.ts';
import { errorZh } from './i18n/errors.ts';

export type Lang = 'zh' | 'en';

// The browser's fetch must be called unbound from the client (as a method of it, it throws "Illegal invocation").
export const client = new ShulianClient({
  baseUrl: globalThis.location?.origin ?? 'http://127.0.0.1:7070',
  timeoutMs: 20_000,
  fetch: (input, init) => globalThis.fetch(input, init),
});

/** The console routes (sign-in, work orders, admin, node stats), with the bearer token once signed in. */
export const consoleClient = new ConsoleClient({ baseUrl: client.baseUrl, timeoutMs: 20_000 });

export interface Auth {
  token: string;
  did: string;
  roles: string[];
  expiresAt: number;
}

/** How the key of a session can be loaded again after a reload. */
export type Unlock = 'keystore' | 'hex';

interface SessionValue {
  lang: Lang;
  setLang(l: Lang): void;
  /** The string in the current language. */
  tr(zh: string, en: string): string;
  auth: Auth | null;
  key: KeyPair | null;
  /** After a reload: how the key can be loaded again (its keystore stays encrypted in this tab). */
  unlockWith: Unlock | null;
  /**
   * Signs in; a keystore given is kept encrypted for this tab, to unlock the key after a reload.
   * `did`: the DID to sign in as when the key is one rotated into its document (default the key's own DID).
   */
  signIn(key: KeyPair, keystore?: unknown, did?: string): Promise<Auth>;
  /** Loads the session's key again: the stored keystore with its password, or a pasted key. */
  unlock(password: string): Promise<void>;
  unlockKey(kp: KeyPair): void;
  signOut(): void;
  /** A console route (auth, work orders, admin, node stats) with the bearer token. */
  api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Signs a call with the key in memory, submits it, waits for its block; throws on a failed receipt. */
  sendTx(chain: string, call: Call): Promise<CommittedTx>;
  /** Counts governance changes seen on the live stream (proposals, votes, members, chains): a dependency that reloads lists. */
  govTick: number;
}

const Ctx = createContext<SessionValue | null>(null);
const AUTH_KEY = 'shulian.console.auth';
const KEYSTORE_KEY = 'shulian.console.keystore';
const UNLOCK_KEY = 'shulian.console.unlock';
const LANG_KEY = 'shulian.console.lang';
/** The session key's public key (hex): after a rotation it is not the key the DID was made from. */
const PUBKEY_KEY = 'shulian.console.pubkey';

function loadAuth(): Auth | null {
  try {
    const a = JSON.parse(sessionStorage.getItem(AUTH_KEY) ?? 'null') as Auth | null;
    return a && a.expiresAt > Date.now() ? a : null;
  } catch {
    return null;
  }
}

/** An error raised by the console itself, worded in both languages (shown in the one the console speaks when it is shown). */
export class LocalError extends Error {
  override readonly name = 'LocalError';
  constructor(readonly zh: string, readonly en: string) {
    super(en);
  }
}

/** A key pair from a pasted private key (64 hex digits, optionally 0x-prefixed). */
export function keyFromHex(hex: string, suite: Suite): KeyPair {
  const clean = hex.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]{64}$/.test(clean)) throw new LocalError('私钥应为 64 位十六进制', 'A private key is 64 hex digits');
  const privateKey = fromHex(clean);
  return { suite, privateKey, publicKey: publicKeyFromPrivate(suite, privateKey) };
}

/** The language errors are worded in; the provider keeps it current. */
let errLang: Lang = 'zh';

/** A plain request to the node's API: JSON in, JSON out, errors as ShulianError with the node's code. */
export async function request<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${client.baseUrl}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new ShulianError('NODE_UNREACHABLE', `cannot reach the node at ${client.baseUrl}`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ShulianError(foreign(e?.code ?? `HTTP_${res.status}`), e?.message ?? `${method} ${path}: HTTP ${res.status}`, { status: res.status });
  }
  return json as T;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => (localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh'));
  errLang = lang;
  const [auth, setAuth] = useState<Auth | null>(() => {
    const a = loadAuth();
    consoleClient.token = a?.token;
    return a;
  });
  const [key, setKey] = useState<KeyPair | null>(null);
  const [govTick, setGovTick] = useState(0);
  const authRef = useRef(auth);
  authRef.current = auth;

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    document.title = lang === 'zh' ? '数链控制台' : 'Shulian Console';
  }, [lang]);

  // The governance chain's events on the live stream: lists of proposals, votes, members and
  // chains reload by themselves when one arrives (a vote passes, a chain starts).
  useEffect(() => {
    let closed = false;
    let sub: { close(): void } | undefined;
    void client.chains().then((cs) => {
      const gov = cs.find((c) => c.kind === 'governance');
      if (!gov || closed) return;
      sub = client.subscribe({ chains: [gov.id] }, (m) => {
        if (m.type === 'event' && m.module === 'governance') setGovTick((t) => t + 1);
      });
    }, () => undefined);
    return () => {
      closed = true;
      sub?.close();
    };
  }, []);

  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    errLang = l;
    setLangState(l);
  }, []);
  const tr = useCallback((zh: string, en: string) => (lang === 'zh' ? zh : en), [lang]);

  const signIn = useCallback(async (kp: KeyPair, keystore?: unknown, did?: string): Promise<Auth> => {
    // The SDK checks the challenge (this node, this DID, this page's origin, not expired) and signs
    // the sign-in message it builds from those fields, here in the browser; any other shape is refused.
    const r = await consoleClient.login(kp, did ?? didFromPublicKey(kp.publicKey));
    sessionStorage.setItem(PUBKEY_KEY, toHex(kp.publicKey));
    const a: Auth = { token: r.token, did: r.did, roles: r.roles, expiresAt: r.expiresAt };
    sessionStorage.setItem(AUTH_KEY, JSON.stringify(a));
    if (keystore !== undefined) {
      sessionStorage.setItem(KEYSTORE_KEY, JSON.stringify(keystore));
      sessionStorage.setItem(UNLOCK_KEY, 'keystore');
    } else {
      sessionStorage.removeItem(KEYSTORE_KEY);
      sessionStorage.setItem(UNLOCK_KEY, 'hex');
    }
    setAuth(a);
    setKey(kp);
    return a;
  }, []);

  const unlockKey = useCallback((kp: KeyPair) => {
    const a = authRef.current;
    if (!a) throw new LocalError('会话已结束，请重新登录', 'The session has ended; sign in again');
    // A key rotated into the DID's document is not the key the DID was made from: the one the session signed in with is accepted.
    if (didFromPublicKey(kp.publicKey) !== a.did && sessionStorage.getItem(PUBKEY_KEY) !== toHex(kp.publicKey)) {
      throw new LocalError(`该密钥不属于已登录的 DID（${a.did}）`, `This key is not the signed-in DID's (${a.did})`);
    }
    setKey(kp);
  }, []);

  const unlock = useCallback(async (password: string) => {
    const stored = sessionStorage.getItem(KEYSTORE_KEY);
    if (!stored) throw new LocalError('本标签页没有保存密钥文件，请粘贴私钥或重新登录', 'No keystore is kept in this tab; paste the key or sign in again');
    unlockKey(await decryptKeystoreAsync(JSON.parse(stored) as unknown, password));
  }, [unlockKey]);

  const signOut = useCallback(() => {
    const a = authRef.current;
    if (a) void consoleClient.logout().catch(() => undefined);
    consoleClient.token = undefined;
    for (const k of [AUTH_KEY, KEYSTORE_KEY, UNLOCK_KEY, PUBKEY_KEY]) sessionStorage.removeItem(k);
    setAuth(null);
    setKey((k) => {
      k?.privateKey.fill(0);
      return null;
    });
  }, []);

  const api = useCallback(<T,>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    request<T>(method, path, body, authRef.current?.token), []);

  const keyRef = useRef(key);
  keyRef.current = key;
  const sendTx = useCallback(async (chain: string, call: Call): Promise<CommittedTx> => {
    const k = keyRef.current;
    if (!k) throw new ShulianError('NO_KEY', 'unlock your key (or sign in again) to sign transactions: keys are kept only in this tab');
    // As the signed-in DID: after a key rotation the key's own DID is not the sender.
    const did = authRef.current?.did;
    const hash = await client.send(chain, k, call, did && did !== didFromPublicKey(k.publicKey) ? { from: did } : {});
    const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
    if (inc.receipt.status !== 'ok') {
      throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', inc.receipt.message ?? `transaction ${hash} failed`);
    }
    return inc;
  }, []);

  const unlockWith: Unlock | null = auth && !key ? ((sessionStorage.getItem(UNLOCK_KEY) as Unlock | null) === 'keystore' && sessionStorage.getItem(KEYSTORE_KEY) ? 'keystore' : 'hex') : null;

  const value = useMemo(() => ({ lang, setLang, tr, auth, key, unlockWith, signIn, unlock, unlockKey, signOut, api, sendTx, govTick }),
    [lang, setLang, tr, auth, key, unlockWith, signIn, unlock, unlockKey, signOut, api, sendTx, govTick]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/**
 * Error text for a user, in the console's language: in English the node's own message (it says
 * what was wrong and what to do) with its code; in Chinese what the code means, with the code.
 */
export function errText(err: unknown): string {
  if (err instanceof LocalError) return errLang === 'zh' ? err.zh : err.en;
  if (err instanceof ShulianError) return errLang === 'zh' ? `${errorZh(err.code)}（${err.code}）` : `${err.message} (${err.code})`;
  if (errLang === 'zh') return err instanceof SyntaxError ? 'JSON 格式有误' : '操作失败';
  return err instanceof Error ? err.message : String(err);
}

/** The node's own words for an error (English), shown as the tooltip of the localized text. */
export function errDetail(err: unknown): string | undefined {
  if (err instanceof LocalError) return undefined;
  return err instanceof Error ? err.message : String(err);
}

/** Text in the language the console speaks while it is shown (toasts outlive a change of language). */
function Say({ zh, en }: { zh: string; en: string }) {
  const { lang } = useSession();
  return <>{lang === 'zh' ? zh : en}</>;
}

/** A toast's words in both languages: `message.success(say('已签署', 'Signed'))`. */
export function say(zh: string, en: string): ReactNode {
  return <Say zh={zh} en={en} />;
}

function ErrorText({ err }: { err: unknown }) {
  useSession(); // worded again when the language changes
  return <span title={errDetail(err)} data-testid="error-toast">{errText(err)}</span>;
}

/** An error for a toast: the localized text, with the node's own words on hover. */
export function errNode(err: unknown): ReactNode {
  return <ErrorText err={err} />;
}

/** Loads data for a page; `reload` fetches again. Errors are kept, not thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    // A reload keeps what is shown until the new answer comes (no flicker when the live stream reloads a list).
    setState((s) => ({ ...s, loading: s.data === undefined }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function shortDid(did: string): string {
  return did.length > 26 ? `${did.slice(0, 18)}…${did.slice(-6)}` : did;
}
