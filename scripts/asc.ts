// The lab's WebAssembly kernels (src/core/kernels/assembly/*.ts, AssemblyScript) to bytes with asc (a dev dependency:
// the lab ships the bytes). The module imports its memory (tfjs-wasm's heap) and has no data, globals it writes or
// runtime: the kernels read and write only the addresses they are given.
import asc from 'assemblyscript/asc';

export const KERNELS_ENTRY = 'src/core/kernels/assembly/index.ts';

/**
 * `shared`: the same module importing a shared memory (the threaded wasm build's heap, 4 GB: 65536 pages).
 * `relaxed`: built with relaxed SIMD, so that assembly/simd.ts's multiply-add is one fused instruction.
 */
export async function compileKernels({ shared = false, relaxed = false } = {}): Promise<Uint8Array> {
  let binary: Uint8Array | null = null;
  const args = [KERNELS_ENTRY, '--outFile', 'kernels.wasm', '-O3', '--noAssert', '--runtime', 'stub', '--use', 'abort=',
    '--importMemory', '--noExportMemory', '--enable', 'simd', '--initialMemory', '1'];
  if (relaxed) args.push('--enable', 'relaxed-simd');
  if (shared) args.push('--sharedMemory', '--maximumMemory', '65536', '--enable', 'threads');
  let log = '';
  const { error } = await asc.main(args, {
    writeFile(name: string, contents: Uint8Array | string) {
      if (name.endsWith('.wasm')) binary = contents as Uint8Array;
    },
    stdout: { write: (s: string) => ((log += s), true) } as never,
    stderr: { write: (s: string) => ((log += s), true) } as never,
  });
  if (error || !binary) throw new Error(`asc failed on ${KERNELS_ENTRY}: ${error?.message ?? 'no binary'}\n${log}`);
  return binary;
}
