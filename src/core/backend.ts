// Picks the compute backend: webgpu → webgl → wasm → cpu, the first that initializes, and says why it fell back.
// A WebGPU adapter that is a software renderer (SwiftShader, llvmpipe, WARP: gpu_adapter.ts) is passed over for
// wasm → cpu → webgl unless webgpu was asked for by name: there the lab trains many times faster on WebAssembly.
// Hosts register the backends they can offer before calling (the worker: all four; the CLI: webgpu through
// Dawn, wasm, cpu). A requested name is tried first; an unknown name is an error that lists the valid ones.
import { tf } from './tf';
import { BACKENDS, BACKEND_TITLES, BackendError, type BackendChoice, type BackendName } from './backend_names';
import { adapterTitle, softwareAdapter, softwareFallbackReason, type AdapterDescription } from './gpu_adapter';

export { BACKENDS, BACKEND_TITLES, BackendError, parseBackendName, parseThreadCount, type BackendName, type BackendChoice } from './backend_names';

async function tryBackend(name: BackendName): Promise<string | null> {
  if (!tf.findBackendFactory(name)) {
    return name === 'webgpu' ? 'WebGPU is not available in this browser' : `${BACKEND_TITLES[name]} is not available here`;
  }
  try {
    const ok = await tf.setBackend(name);
    if (ok) {
      await tf.ready();
      return null;
    }
  } catch (e) {
    return `${BACKEND_TITLES[name]} failed to start (${e instanceof Error ? e.message : String(e)})`;
  }
  return name === 'webgpu'
    ? 'WebGPU is available but no GPU adapter could be opened'
    : `${BACKEND_TITLES[name]} failed to start`;
}

/**
 * Initializes the first backend that works, starting from `requested` (or webgpu). With `strict`, a requested
 * backend that fails is an error instead of a fallback (the CLI: a benchmark must run where it was asked to).
 */
export async function selectBackend(requested: BackendName | null = null, strict = false): Promise<BackendChoice> {
  let order: BackendName[] = requested ? [requested, ...BACKENDS.filter((b) => b !== requested)] : [...BACKENDS];
  // Only the lab's own choice looks at the adapter first; a named webgpu (?backend=webgpu, --backend webgpu) is kept.
  const software = requested === null && tf.findBackendFactory('webgpu') ? softwareAdapter(await describeAdapter()) : null;
  if (software) order = ['wasm', 'cpu', 'webgl'];
  let firstReason: string | null = null;
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) {
      const title = BACKEND_TITLES[name];
      return {
        name,
        requested,
        fallbackReason: software
          ? softwareFallbackReason(software, name as 'wasm' | 'cpu' | 'webgl', title)
          : firstReason
            ? `${firstReason}: training on ${title}.`
            : null,
        adapter: adapterOf(name),
      };
    }
    if (strict && name === requested) throw new BackendError(`${reason}.`);
    firstReason ??= reason;
  }
  throw new BackendError(`No backend could start: ${firstReason}.`);
}

function adapterOf(name: BackendName): string | null {
  if (name !== 'webgpu') return null;
  return adapterTitle((tf.backend() as unknown as { adapterInfo?: AdapterDescription }).adapterInfo);
}

/**
 * The adapter the webgpu backend would open (the same request as kernels/webgpu_device.ts), described without
 * opening a device; null where there is none. Costs a few milliseconds; the adapter is dropped.
 */
async function describeAdapter(): Promise<AdapterDescription | null> {
  const gpu = typeof navigator === 'undefined' ? undefined : navigator.gpu;
  if (!gpu) return null;
  let lowPower = false;
  try {
    lowPower = tf.env().getBool('WEBGPU_USE_LOW_POWER_GPU');
  } catch {
    // The flag is registered by the webgpu package; a host that registered its own factory may not have it.
  }
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: lowPower ? 'low-power' : 'high-performance' });
    if (!adapter) return null;
    const info = ('info' in adapter ? adapter.info : {}) as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const legacy = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
    return {
      vendor: info.vendor,
      architecture: info.architecture,
      device: info.device,
      description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? legacy ?? false,
    };
  } catch {
    return null;
  }
}
