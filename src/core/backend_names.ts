// Backend names and titles, without tfjs, so the page can show them without loading the compute library.

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
  /**
   * WebAssembly: the threads its matrix products run on, set by the host that loaded the backend (the tab's worker:
   * more than 1 where the page is cross-origin isolated and tfjs-wasm runs its threaded build).
   */
  threads?: number;
}

export class BackendError extends Error {
  override name = 'BackendError';
}

export function parseBackendName(value: string): BackendName {
  const v = value.trim().toLowerCase();
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new BackendError(`Unknown backend "${value}": choose one of ${BACKENDS.join(', ')}.`);
}


/** `?threads=N` in the tab: a whole number from 1 to 64; anything else is an error saying what to give. */
export function parseThreadCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > 64) {
    throw new BackendError(`?threads=${text} is not a thread count: give a whole number from 1 to 64, or leave it out for one thread per core.`);
  }
  return n;
}
