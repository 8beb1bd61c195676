/**
 * The console's session: language, the signed-in DID and its bearer token, the key held in this
 * tab's memory (never stored), and the one SDK client every page uses.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  ConsoleClient, ShulianClient, ShulianError, foreign,
  type Call, type CommittedTx, type KeyPair,
} from '../../src/sdk/browser.ts';

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

interface SessionValue {
  lang: Lang;
  setLang(l: Lang): void;
  /** The string in the current language. */
  tr(zh: string, en: string): string;
  auth: Auth | null;
  key: KeyPair | null;
  signIn(key: KeyPair): Promise<Auth>;
  signOut(): void;
  /** A console route (auth, work orders, admin, node stats) with the bearer token. */
  api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
  /** Signs a call with the key in memory, submits it, waits for its block; throws on a failed receipt. */
  sendTx(chain: string, call: Call): Promise<CommittedTx>;
}

const Ctx = createContext<SessionValue | null>(null);
const AUTH_KEY = 'shulian.console.auth';
const LANG_KEY = 'shulian.console.lang';

function loadAuth(): Auth | null {
  try {
    const a = JSON.parse(sessionStorage.getItem(AUTH_KEY) ?? 'null') as Auth | null;
    return a && a.expiresAt > Date.now() ? a : null;
  } catch {
    return null;
  }
}

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
  const [auth, setAuth] = useState<Auth | null>(() => {
    const a = loadAuth();
    consoleClient.token = a?.token;
    return a;
  });
  const [key, setKey] = useState<KeyPair | null>(null);
  const authRef = useRef(auth);
  authRef.current = auth;

  useEffect(() => {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  }, [lang]);

  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(LANG_KEY, l);
    setLangState(l);
  }, []);
  const tr = useCallback((zh: string, en: string) => (lang === 'zh' ? zh : en), [lang]);

  const signIn = useCallback(async (kp: KeyPair): Promise<Auth> => {
    // The SDK checks the challenge (this node, this DID, this page's origin, not expired) and signs
    // the sign-in message it builds from those fields, here in the browser; any other shape is refused.
    const r = await consoleClient.login(kp);
    const a: Auth = { token: r.token, did: r.did, roles: r.roles, expiresAt: r.expiresAt };
    sessionStorage.setItem(AUTH_KEY, JSON.stringify(a));
    setAuth(a);
    setKey(kp);
    return a;
  }, []);

  const signOut = useCallback(() => {
    const a = authRef.current;
    if (a) void consoleClient.logout().catch(() => undefined);
    consoleClient.token = undefined;
    sessionStorage.removeItem(AUTH_KEY);
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
    if (!k) throw new ShulianError('NO_KEY', 'sign in again with your key to sign transactions (keys are kept only in this tab)');
    const hash = await client.send(chain, k, call);
    const inc = await client.waitForTx(hash, { timeoutMs: 60_000 });
    if (inc.receipt.status !== 'ok') {
      throw new ShulianError(foreign(inc.receipt.code) ?? 'TX_FAILED', inc.receipt.message ?? `transaction ${hash} failed`);
    }
    return inc;
  }, []);

  const value = useMemo(() => ({ lang, setLang, tr, auth, key, signIn, signOut, api, sendTx }), [lang, setLang, tr, auth, key, signIn, signOut, api, sendTx]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useSession(): SessionValue {
  const v = useContext(Ctx);
  if (!v) throw new Error('useSession outside SessionProvider');
  return v;
}

/** Error text for a user: the node's own message (it says what was wrong and what to do). */
export function errText(err: unknown): string {
  if (err instanceof ShulianError) return `${err.message} (${err.code})`;
  return err instanceof Error ? err.message : String(err);
}

/** Loads data for a page; `reload` fetches again. Errors are kept, not thrown. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
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
