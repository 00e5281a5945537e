// Picks the compute backend: webgpu → webgl → wasm → cpu, the first that initializes, and says why it fell back.
// Hosts register the backends they can offer before calling (the worker: all four; the CLI: webgpu through
// Dawn, wasm, cpu). A requested name is tried first; an unknown name is an error that lists the valid ones.
import { tf } from './tf';
import { BACKENDS, BACKEND_TITLES, BackendError, type BackendChoice, type BackendName } from './backend_names';

export { BACKENDS, BACKEND_TITLES, BackendError, parseBackendName, type BackendName, type BackendChoice } from './backend_names';

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
  const order = requested ? [requested, ...BACKENDS.filter((b) => b !== requested)] : [...BACKENDS];
  let firstReason: string | null = null;
  for (const name of order) {
    const reason = await tryBackend(name);
    if (reason === null) {
      return {
        name,
        requested,
        fallbackReason: firstReason ? `${firstReason}: training on ${BACKEND_TITLES[name]}.` : null,
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
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  if (!info) return null;
  return [info.vendor, info.architecture].filter(Boolean).join(' ') || null;
}
