// Arithmetic the kernels share: addresses, sums and maxima across the four lanes, and float32 exp and log of our own.
// AssemblyScript's Mathf.exp and Mathf.log read lookup tables, which would give the module a data section (written
// into tfjs-wasm's heap at instantiation); exp is range reduction and a Taylor polynomial (one lane or four), log
// Cephes' logf, each within 2 ulp.

@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

@inline export function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

// e^x for the softmax's x = s − max ≤ 0, within 2 ulp: x = k·ln 2 + r (ln 2 in two parts, so r is exact to f32),
// |r| ≤ ln 2 / 2, e^r by its Taylor series to r⁷ (the next term is < 5e-9 of it), times 2^k built in the exponent
// bits. Below −87.3 (e^x under the smallest normal float, nothing beside a row's largest term, 1) it is 0; NaN stays NaN.
const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693145751953125;
const LN2_LO: f32 = 1.4286068202862268e-6;
const UNDER: f32 = -87.3;

@inline export function expf(x: f32): f32 {
  if (!(x >= UNDER)) return x != x ? x : 0;
  const k = nearest<f32>(x * LOG2E);
  const r = x - k * LN2_HI - k * LN2_LO;
  const p: f32 = 1 + r * (1 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040)))))));
  return p * reinterpret<f32>((<i32>k + 127) << 23);
}

/** expf of 4 lanes at once. */
@inline export function expf4(x: v128): v128 {
  const k = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 5040);
  p = f32x4.add(f32x4.splat(1.0 / 720), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0 / 120), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0 / 24), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1.0 / 6), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(0.5), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(r, p));
  p = f32x4.add(f32x4.splat(1), f32x4.mul(r, p));
  const two = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  // lanes under −87.3 to 0 (a NaN lane compares false and stays NaN)
  return v128.andnot(f32x4.mul(p, two), f32x4.lt(x, f32x4.splat(UNDER)));
}

/**
 * ln x of a positive normal float: x = m·2^e with m in [√½, √2), ln(m) by Cephes' polynomial in m − 1, plus e·ln 2
 * (in two parts).
 */
@inline export function logf(x: f32): f32 {
  const bits = reinterpret<i32>(x);
  let e = ((bits >> 23) & 0xff) - 126; // m in [0.5, 1)
  let m = reinterpret<f32>((bits & 0x007fffff) | 0x3f000000);
  if (m < <f32>0.707106781186547524) {
    e -= 1;
    m = m + m - 1;
  } else {
    m = m - 1;
  }
  const z = m * m;
  let y: f32 = 7.0376836292e-2;
  y = y * m - <f32>1.1514610310e-1;
  y = y * m + <f32>1.1676998740e-1;
  y = y * m - <f32>1.2420140846e-1;
  y = y * m + <f32>1.4249322787e-1;
  y = y * m - <f32>1.6668057665e-1;
  y = y * m + <f32>2.0000714765e-1;
  y = y * m - <f32>2.4999993993e-1;
  y = y * m + <f32>3.3333331174e-1;
  y = y * m * z;
  const fe = <f32>e;
  y += fe * <f32>-2.12194440e-4;
  y -= <f32>0.5 * z;
  return m + y + fe * <f32>0.693359375;
}
