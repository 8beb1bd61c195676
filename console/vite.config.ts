/**
 * Vite build of the console (served by the node at /console). The SDK is bundled from ../src;
 * the few Node-only files on its import chain are swapped for browser stand-ins in ./shims
 * (see docs/console.md "How the SDK runs in the browser"). Node's own behaviour is unchanged:
 * the swap happens only in this bundle.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve, sep } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';

const here = dirname(fileURLToPath(import.meta.url));
const src = resolve(here, '..', 'src');
const shim = (name: string): string => join(here, 'shims', name);

/** Resolved SDK file -> browser stand-in. */
const FILE_SHIMS: Record<string, string> = {
  [join(src, 'crypto', 'hash.ts')]: shim('hash.ts'),
  [join(src, 'crypto', 'sm4.ts')]: shim('sm4.ts'),
  [join(src, 'crypto', 'ed25519.ts')]: shim('ed25519.ts'),
  [join(src, 'crypto', 'sm2native.ts')]: shim('sm2native.ts'),
  [join(src, 'crypto', 'keystore.ts')]: shim('keystore.ts'),
  [join(src, 'crypto', 'pool.ts')]: shim('pool.ts'),
};
/** Bare Node/npm specifiers -> browser stand-ins. */
const BARE_SHIMS: Record<string, string> = {
  'node:crypto': shim('node-crypto.ts'),
  'node:fs': shim('node-fs.ts'),
  'node:fs/promises': shim('node-fs.ts'),
  ws: shim('ws.ts'),
};

function browserShims(): Plugin {
  return {
    name: 'shulian-browser-shims',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source in BARE_SHIMS) return BARE_SHIMS[source];
      if (!importer || !source.startsWith('.')) return null;
      const target = resolve(dirname(importer), source);
      return FILE_SHIMS[target] ?? null;
    },
    // The SDK's code uses Node's global Buffer; give each such module its own import of the
    // stand-in, so it never depends on the order chunks are evaluated in.
    transform(code, id) {
      if (!id.startsWith(src + sep) || !/\bBuffer\b/.test(code)) return null;
      return { code: `import { BrowserBuffer as Buffer } from ${JSON.stringify(shim('buffer.ts'))};\n${code}`, map: null };
    },
  };
}

export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [browserShims(), react()],
  define: {
    'process.env.SHULIAN_SM2_BACKEND': 'undefined',
  },
  // `npx vite --config console/vite.config.ts` for hot reload: API calls go to the node named by SHULIAN_NODE.
  server: {
    proxy: {
      '/v1': { target: process.env.SHULIAN_NODE ?? 'http://127.0.0.1:7070', ws: true, changeOrigin: true },
      '/credentials': { target: process.env.SHULIAN_NODE ?? 'http://127.0.0.1:7070', changeOrigin: true },
    },
  },
  build: {
    outDir: join(here, 'dist'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    reportCompressedSize: false,
    sourcemap: false,
  },
  logLevel: 'warn',
});
