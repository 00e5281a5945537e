// What the kernels share: a multiply-add that is one fused instruction where the module is built with relaxed SIMD
// (f32x4.relaxed_madd: the FMA of x86 and ARM, one rounding) and a multiply then an add elsewhere. scripts/asc.ts
// builds the module both ways; wasm_program.ts instantiates the relaxed one where the engine has relaxed SIMD
// (Chromium 114 on; Node 20 with --experimental-wasm-relaxed-simd, which the CLI sets) and the plain one elsewhere.

/** c + a·b, four lanes. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}
