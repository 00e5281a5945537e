// WebGPU in Node through Dawn (the `webgpu` package), for the CLI, the benchmarks and the webgpu tests.
// Call installWebgpu() before '@tensorflow/tfjs-backend-webgpu' is imported: that backend registers itself
// only when navigator.gpu exists. No top-level await here, so importing this module first is enough.
import os from 'node:os';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tf } from '../core/tf';
import { useLabWebgpuDevice } from '../core/kernels';

const CHROMIUM = '/usr/lib/chromium';

export function installWebgpu(): void {
  // Without a GPU, Debian's chromium ships SwiftShader (software Vulkan) and the Vulkan loader beside it.
  // Dawn dlopens "libvulkan.so.1", which is only on Chromium's private path: preload it by absolute path
  // (RTLD_NODELETE keeps it mapped; process.dlopen then complains it is no Node module, as expected).
  const swiftshader = `${CHROMIUM}/vk_swiftshader_icd.json`;
  const hasDriver = process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES;
  if (!hasDriver && existsSync(swiftshader)) process.env.VK_ICD_FILENAMES = swiftshader;
  if (process.platform === 'linux' && existsSync(`${CHROMIUM}/libvulkan.so.1`)) {
    try {
      process.dlopen({ exports: {} }, `${CHROMIUM}/libvulkan.so.1`, os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | 0x1000);
    } catch {
      // "Module did not self-register": the library is loaded, which is all Dawn needs.
    }
  }
  const require = createRequire(import.meta.url);
  const mod = require(process.env.WEBGPU_MODULE ?? 'webgpu') as { create(flags: string[]): unknown; globals: object };
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', {
    value: { ...(globalThis.navigator ?? {}), gpu: mod.create([]) },
    writable: true,
    configurable: true,
    enumerable: true,
  });
}

/**
 * Dawn's WebGPU as navigator.gpu (if not yet), then the tfjs webgpu backend on the lab's device
 * (kernels/webgpu_device.ts), running small ops on the GPU too, as the tab does.
 */
export async function registerWebgpuBackend(): Promise<void> {
  if (!(globalThis.navigator as { gpu?: unknown } | undefined)?.gpu) installWebgpu();
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu'); // after navigator.gpu exists
  useLabWebgpuDevice(WebGPUBackend as never);
  tf.env().set('WEBGPU_CPU_FORWARD', false);
}
