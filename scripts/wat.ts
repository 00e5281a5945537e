// WebAssembly text to bytes with wabt (a dev dependency: the lab ships the bytes).
import wabtInit from 'wabt';

/** `shared`: the same module importing a shared memory (the threaded wasm build's heap): SHARED_MEMORY below. */
export async function assembleWat(name: string, text: string, { shared = false } = {}): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, threads: shared };
  const mod = wabt.parseWat(name, shared ? sharedMemory(text) : text, features);
  try {
    // wabt's validate takes the features too (its typings leave the argument out): threads, for a shared memory
    (mod as unknown as { validate(f: typeof features): void }).validate(features);
    return new Uint8Array(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}

/**
 * A kernel's imported memory as a shared one: `(memory 1)` → `(memory 1 65536 shared)`. A shared memory imports only
 * into a module that declares it shared with a maximum at least the memory's (tfjs-wasm's threaded heap: 4 GB, 65536
 * pages); the code is the same.
 */
export function sharedMemory(text: string): string {
  const plain = '(import "env" "memory" (memory 1))';
  if (!text.includes(plain)) throw new Error(`the kernel does not import its memory as ${plain}, so no shared variant can be made`);
  return text.replace(plain, '(import "env" "memory" (memory 1 65536 shared))');
}
