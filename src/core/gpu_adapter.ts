// Whether a WebGPU adapter is a real GPU or a software rasterizer that runs "GPU" work on the CPU (SwiftShader,
// Mesa's llvmpipe/lavapipe, Windows' WARP). On those, every tiny tfjs kernel pays a GPU dispatch plus a CPU
// emulation of it, and the lab's small models train far slower than on WebAssembly (SOFTWARE_GPU_SLOWDOWN).
// Plain data in, plain data out, so the rule is tested on hand-made adapter descriptions (tests/unit/gpu_adapter.test.ts).

/** What an adapter says about itself: GPUAdapterInfo's fields, and the fallback flag (on the adapter in older browsers). */
export interface AdapterDescription {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  /** GPUAdapterInfo.isFallbackAdapter (Chrome 136+) or GPUAdapter.isFallbackAdapter (before). */
  isFallbackAdapter?: boolean;
}

/** Software renderers, by a name their adapter info carries, and the name a person would recognize. */
const SOFTWARE: [RegExp, string][] = [
  [/swiftshader/i, 'SwiftShader'],
  [/lavapipe/i, 'lavapipe'],
  [/llvmpipe/i, 'llvmpipe'],
  [/softpipe/i, 'softpipe'],
  [/microsoft basic render/i, 'WARP (Microsoft Basic Render Driver)'],
  [/\bwarp\b/i, 'WARP'],
];

/**
 * The software renderer behind an adapter, by name ("SwiftShader"), or null for a hardware GPU. A fallback adapter
 * whose info names no known renderer is still software ("a fallback adapter"); an adapter that says nothing at all
 * (browsers may hide the info) counts as hardware, the browser's own choice.
 */
export function softwareAdapter(a: AdapterDescription | null | undefined): string | null {
  if (!a) return null;
  const text = [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(' ');
  for (const [pattern, name] of SOFTWARE) if (pattern.test(text)) return name;
  return a.isFallbackAdapter ? 'a fallback adapter' : null;
}

/** How the adapter reads in the header: "google swiftshader", or null when it says nothing. */
export function adapterTitle(a: AdapterDescription | null | undefined): string | null {
  if (!a) return null;
  return [a.vendor, a.architecture].filter(Boolean).join(' ') || a.description || null;
}

/**
 * How many times faster, at least, the lab trained on WebAssembly than on WebGPU on SwiftShader: measured with
 * scripts/time_first_update.ts (headless Chromium, this repository's shared 2-core machine, `landscape-hello`, Start to
 * its first policy update): 110 and 133 s on WebGPU before the lab passed software adapters over, 1.8 and 3.2 s on
 * WebAssembly after, so 34× to 75× (README "Backends"). Other machines differ: the tab says "more than" and where from.
 */
export const SOFTWARE_GPU_SLOWDOWN = 30;

/** The banner's sentence when the lab passes over a software WebGPU adapter for `to` (the measured figure is wasm's). */
export function softwareFallbackReason(renderer: string, to: 'wasm' | 'cpu' | 'webgl', title: string): string {
  const faster = to === 'wasm' ? `, which trained this lab's landscape-hello more than ${SOFTWARE_GPU_SLOWDOWN}× faster in our measurement` : '';
  return (
    `WebGPU here runs on ${renderer}, a software adapter that emulates the GPU on the CPU: training on ${title} instead${faster}. ` +
    'Add ?backend=webgpu to the address to train on WebGPU anyway.'
  );
}
