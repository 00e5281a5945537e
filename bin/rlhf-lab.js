#!/usr/bin/env node
// The lab's command line. Runs the TypeScript sources directly (tsx), so the CLI and the tab share one core.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// WebAssembly's relaxed SIMD, which Chromium has on and Node 20 behind this flag: the lab's wasm kernels then use
// fused multiply-adds (src/core/kernels/assembly/simd.ts). Set before any module is compiled; harmless where it is on.
// Not with --fused off, which computes as the lab did before its fused kernels: tfjs's ops and plain SIMD products
// (XNNPACK's numbers to the bit), so that a seeded run recorded then is reproduced exactly.
const args = process.argv.slice(2);
const plain = args.some((a, i) => a === '--fused=off' || (a === '--fused' && args[i + 1] === 'off'));
if (!plain) setFlagsFromString('--experimental-wasm-relaxed-simd');
register();
await import('../src/cli/main.ts');
