// Picks the compute backend: webgpu → webgl → wasm → cpu, the first that initializes, and says why it fell back.
// Hosts register the backends they can offer before calling (the worker: all four; the CLI: webgpu through
// Dawn, wasm, cpu). A requested name is tried first; an unknown name is an error that lists the valid ones.
import { tf } from './tf';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const BACKEND_TITLES: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WebAssembly',
  cpu: 'the CPU (plain JavaScript)',
};

export interface BackendChoice {
  name: BackendName;
  /** What the user asked for, if anything. */
  requested: BackendName | null;
  /** Why the first choice was not used ("WebGPU is not available in this browser: training on WebGL."). */
  fallbackReason: string | null;
  /** The GPU adapter, when the backend reports one. */
  adapter: string | null;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

export function parseBackendName(value: string): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new BackendError(`Unknown backend "${value}": choose one of ${BACKENDS.join(', ')}.`);
}

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
