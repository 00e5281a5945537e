import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Cross-origin isolation (README "Threads in the tab"): with these two headers the page and its worker get
// SharedArrayBuffer, and tfjs-wasm runs its threaded SIMD build (XNNPACK on every core). Everything the lab loads is
// its own origin's, so `require-corp` blocks nothing. A static host must send the same two headers.
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * tfjs-wasm's threaded build starts each of its threads from its own factory's source (`factory.toString()` in a
 * blob), outside the closure that declares `_scriptDir`; the factory reads it only behind `typeof _scriptDir !==
 * "undefined"`, and the minifier, seeing it declared, shortens that to `e !== void 0`: in the thread, a
 * ReferenceError ("e is not defined") and no threads. The lab loads tfjs in a worker, where `_scriptDir` is always
 * undefined (no document, no __filename), so the declaration goes and each reference becomes `undefined`.
 */
export function tfjsWasmThreads(): Plugin {
  const file = '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js';
  return {
    name: 'rlhf-lab:tfjs-wasm-threads',
    transform(code, id) {
      if (!id.replaceAll('\\', '/').endsWith(file)) return null;
      const declared = /\n\s*var _scriptDir = [^\n]*\n\s*if \(typeof __filename !== 'undefined'\) _scriptDir = _scriptDir \|\| __filename;/;
      if (!declared.test(code)) throw new Error(`${file}: its _scriptDir prelude changed; check tfjsWasmThreads in vite.config.ts against this tfjs`);
      return { code: code.replace(declared, '').replace(/\b_scriptDir\b/g, 'undefined'), map: null };
    },
  };
}

export default defineConfig({
  plugins: [svelte(), tfjsWasmThreads()],
  worker: { format: 'es', plugins: () => [tfjsWasmThreads()] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { host: 'localhost', headers: ISOLATION_HEADERS },
  preview: { host: 'localhost', headers: ISOLATION_HEADERS },
});
