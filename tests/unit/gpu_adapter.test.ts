// Which WebGPU adapters the lab takes for software renderers (and then trains on WebAssembly), on adapter
// descriptions as browsers report them.
import { describe, expect, it } from 'vitest';
import { adapterTitle, softwareAdapter, softwareFallbackReason, SOFTWARE_GPU_SLOWDOWN } from '../../src/core/gpu_adapter';

describe('softwareAdapter', () => {
  it('names the software renderers by what their adapter info says', () => {
    // Chromium with --use-webgpu-adapter=swiftshader (the e2e browser): vendor and architecture.
    expect(softwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: '' })).toBe('SwiftShader');
    // Dawn in Node on SwiftShader: only the description carries the name.
    expect(softwareAdapter({ vendor: '', architecture: '', description: 'SwiftShader Device (Subzero)' })).toBe('SwiftShader');
    // Mesa's software Vulkan (lavapipe) reports the llvmpipe rasterizer underneath.
    expect(softwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.7, 256 bits)' })).toBe('llvmpipe');
    expect(softwareAdapter({ vendor: 'mesa', description: 'lavapipe' })).toBe('lavapipe');
    expect(softwareAdapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' })).toBe('WARP (Microsoft Basic Render Driver)');
    expect(softwareAdapter({ vendor: 'microsoft', architecture: 'warp' })).toBe('WARP');
  });

  it('takes a fallback adapter for software even when its info names no renderer', () => {
    expect(softwareAdapter({ vendor: '', architecture: '', isFallbackAdapter: true })).toBe('a fallback adapter');
    expect(softwareAdapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true })).toBe('SwiftShader');
  });

  it('leaves hardware GPUs, and adapters that say nothing, to WebGPU', () => {
    expect(softwareAdapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA GeForce RTX 3060' })).toBeNull();
    expect(softwareAdapter({ vendor: 'apple', architecture: 'metal-3', isFallbackAdapter: false })).toBeNull();
    expect(softwareAdapter({ vendor: 'intel', architecture: 'gen-12lp' })).toBeNull();
    // "warp" as part of a longer word is not WARP.
    expect(softwareAdapter({ vendor: 'amd', description: 'Radeon Warpdrive 9000' })).toBeNull();
    expect(softwareAdapter({ vendor: '', architecture: '', device: '', description: '' })).toBeNull();
    expect(softwareAdapter(null)).toBeNull();
  });
});

describe('the header and the banner', () => {
  it('titles an adapter by vendor and architecture, else its description', () => {
    expect(adapterTitle({ vendor: 'google', architecture: 'swiftshader' })).toBe('google swiftshader');
    expect(adapterTitle({ vendor: '', architecture: '', description: 'SwiftShader Device (Subzero)' })).toBe('SwiftShader Device (Subzero)');
    expect(adapterTitle({})).toBeNull();
  });

  it('says why and by how much on WebAssembly, and no figure for a backend that was not measured', () => {
    const wasm = softwareFallbackReason('SwiftShader', 'wasm', 'WebAssembly');
    expect(wasm).toContain('WebGPU here runs on SwiftShader, a software adapter');
    expect(wasm).toContain(`training on WebAssembly instead, which trained this lab's landscape-hello more than ${SOFTWARE_GPU_SLOWDOWN}× faster`);
    expect(wasm).toContain('?backend=webgpu');
    expect(SOFTWARE_GPU_SLOWDOWN).toBe(30); // README "Backends": 34× to 75× measured
    const cpu = softwareFallbackReason('llvmpipe', 'cpu', 'the CPU (plain JavaScript)');
    expect(cpu).toContain('training on the CPU (plain JavaScript) instead.');
    expect(cpu).not.toContain('faster');
  });
});

// selectBackend's wiring, with a WebGPU that only describes its adapter (its backend factory counts the times it is
// asked to start and then fails, as a browser's would without a device) and the real wasm backend.
describe('selectBackend on a software adapter', () => {
  async function choose(info: object, requested: 'webgpu' | null = null) {
    const { tf } = await import('../../src/core/tf');
    await import('@tensorflow/tfjs-backend-wasm');
    const { selectBackend } = await import('../../src/core/backend');
    let started = 0;
    if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => {
      started += 1;
      throw new Error('no device here');
    });
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: { requestAdapter: async () => ({ info }) } }, configurable: true, writable: true });
    try {
      return { choice: await selectBackend(requested), started };
    } finally {
      if (saved) Object.defineProperty(globalThis, 'navigator', saved);
      else delete (globalThis as { navigator?: unknown }).navigator;
      if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
    }
  }

  it('trains on wasm without starting WebGPU, and says why', async () => {
    const { choice, started } = await choose({ vendor: 'google', architecture: 'swiftshader' });
    expect(started).toBe(0);
    expect(choice.name).toBe('wasm');
    expect(choice.fallbackReason).toBe(softwareFallbackReason('SwiftShader', 'wasm', 'WebAssembly'));
  });

  it('tries WebGPU first on a hardware adapter, and when asked by name on a software one', async () => {
    const hw = await choose({ vendor: 'nvidia', architecture: 'ampere' });
    expect(hw.started).toBe(1);
    expect(hw.choice.name).toBe('wasm');
    expect(hw.choice.fallbackReason).toBe('WebGPU is available but no GPU adapter could be opened: training on WebAssembly.');
    const named = await choose({ vendor: 'google', architecture: 'swiftshader' }, 'webgpu');
    expect(named.started).toBe(1);
    expect(named.choice.fallbackReason).not.toContain('software adapter');
  });
});
