#!/usr/bin/env node
// The lab's command line. Runs the TypeScript sources directly (tsx), so the CLI and the tab share one core.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// WebAssembly's relaxed SIMD, which Chromium has on and Node 20 behind this flag: the lab's wasm kernels then use
// fused multiply-adds (src/core/kernels/assembly/simd.ts). Set before any module is compiled; harmless where it is on.
setFlagsFromString('--experimental-wasm-relaxed-simd');
register();
await import('../src/cli/main.ts');
