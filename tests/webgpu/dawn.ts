// Dawn's WebGPU in Node on SwiftShader, for the webgpu tests: installed before the tfjs backend is imported.
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import { installWebgpu, registerWebgpuBackend } from '../../src/cli/webgpu_node';
import { tf, type Tensor } from '../../src/core/tf';
import { countDispatches } from '../../src/core/kernels';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
export const HAVE_SWIFTSHADER = existsSync(ICD);
if (!HAVE_SWIFTSHADER) {
  console.warn(`webgpu tests skipped: ${ICD} is missing (install chromium for SwiftShader's Vulkan driver)`);
} else {
  // Before the backend is imported (in beforeAll): it registers itself only when navigator.gpu exists.
  // Note: vitest.config.ts sets VK_ICD_FILENAMES, and installWebgpu() then skips preloading Chromium's
  // libvulkan.so.1, so Dawn finds no Vulkan loader unless the system has one (reported; see webgpu_node.ts).
  installWebgpu();
}

/** Registers the webgpu backend on the lab's device, running small ops on the GPU too, as in the tab. */
export async function registerWebgpu(): Promise<void> {
  await registerWebgpuBackend();
}

/** Switches to a backend and checks it really started. */
export async function useBackend(backend: string): Promise<void> {
  const ok = await tf.setBackend(backend);
  expect(ok, `the ${backend} backend did not start (for webgpu: no adapter; was libvulkan.so.1 loaded?)`).toBe(true);
  await tf.ready();
  expect(tf.getBackend()).toBe(backend);
}

export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]));
  return m;
}

/** Largest |x − y| relative to the largest |y|: the fused-vs-unfused tests' measure. */
export function maxRelDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let scale = 1e-12;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  return maxAbsDiff(x, y) / scale;
}

/**
 * Runs `f` with the webgpu backend submitting after every dispatch, so that a buffer whose tensor is disposed is freed
 * at once (by default it waits for the next of every 15 submits). Tensors a caller makes inside a function tf.grads
 * differentiates are disposed when the forward pass ends: a fused backward that still reads one then fails here, as it
 * does on a larger model. Other backends run `f` as it is.
 */
export async function freeingAtOnce<T>(f: () => Promise<T>): Promise<T> {
  if (tf.getBackend() !== 'webgpu') return f();
  const batch = tf.env().get('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
  try {
    return await f();
  } finally {
    tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', batch);
  }
}

export interface ValueAndGrad {
  /** f(x). */
  y: Float32Array;
  /** d Σ(w·f(x)) / dx. */
  grad: Float32Array;
  /** Dispatches of both (two forwards and a backward, and the weighted sum's own). */
  dispatches: number;
  /** Tensors left behind by both. */
  leaked: number;
}

/** The fused-kernel tests' probe of a function: its value, its gradient under weights w, their cost; x, w kept. */
export async function valueAndGrad(f: (x: Tensor) => Tensor, x: Tensor, w: Tensor): Promise<ValueAndGrad> {
  const before = tf.memory().numTensors;
  let out: Tensor[] = [];
  const counted = await countDispatches(async () => {
    const y = tf.tidy(() => f(x));
    const [g] = tf.grads((xx: Tensor) => tf.sum(tf.mul(f(xx), w)))([x]);
    out = [y, g];
    await Promise.all(out.map((t) => t.data()));
  });
  const [y, grad] = (await Promise.all(out.map((t) => t.data()))) as Float32Array[];
  tf.dispose(out);
  return { y, grad, dispatches: counted.dispatches ?? counted.kernels, leaked: tf.memory().numTensors - before };
}
