// Threads in the tab, the parts that run in Node: ?threads=N (core/backend_names.ts parseThreadCount) takes whole
// numbers 1..64 and names anything else; vite.config.ts's tfjsWasmThreads takes the `_scriptDir` closure variable
// out of tfjs-wasm's threaded factory (which each wasm thread re-evaluates from its source, outside that closure) and
// refuses a factory whose prelude it does not know.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseThreadCount } from '../../src/core/backend';
import { tfjsWasmThreads } from '../../vite.config';

describe('parseThreadCount', () => {
  it('takes whole numbers from 1 to 64', () => {
    expect(parseThreadCount('1')).toBe(1);
    expect(parseThreadCount('4')).toBe(4);
    expect(parseThreadCount('64')).toBe(64);
  });

  it('refuses anything else, naming it', () => {
    for (const bad of ['0', '65', '-2', '1.5', 'lots', '', '2x']) {
      expect(() => parseThreadCount(bad), bad).toThrow(`?threads=${bad} is not a thread count: give a whole number from 1 to 64`);
    }
  });
});

describe('tfjsWasmThreads (vite.config.ts)', () => {
  const id = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const source = readFileSync(id, 'utf8');
  const transform = tfjsWasmThreads().transform as (code: string, id: string) => { code: string } | null;

  it('leaves the threaded factory with no _scriptDir, declared or read, and the rest as it was', () => {
    expect(source.match(/\b_scriptDir\b/g)!.length).toBeGreaterThan(3);
    const out = transform(source, id)!.code;
    expect(out).not.toMatch(/\b_scriptDir\b/);
    expect(out).toContain('typeof undefined !== "undefined" && undefined'); // the guarded read: false in any thread
    expect(out.replace(/\bundefined\b/g, '')).toBe(source.replace(/\n\s*var _scriptDir = [^\n]*\n\s*if \(typeof __filename[^\n]*/, '').replace(/\b_scriptDir\b/g, '').replace(/\bundefined\b/g, ''));
  });

  it('touches no other file, and refuses a factory whose prelude changed', () => {
    expect(transform(source, '/x/tfjs-backend-wasm-simd.js')).toBeNull();
    expect(() => transform(source.replace('var _scriptDir =', 'let _scriptDir ='), id)).toThrow(/_scriptDir prelude changed/);
  });
});
