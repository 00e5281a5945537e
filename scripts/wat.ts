// WebAssembly text to bytes with wabt (a dev dependency: the lab ships the bytes).
import wabtInit from 'wabt';

export async function assembleWat(name: string, text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat(name, text, { simd: true });
  try {
    mod.validate();
    return new Uint8Array(mod.toBinary({ log: false }).buffer);
  } finally {
    mod.destroy();
  }
}
