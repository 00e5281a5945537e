// Arithmetic the row kernels share: addresses, sums and maxima across the four lanes, and float32 exp and log of
// our own. AssemblyScript's Mathf.exp and Mathf.log read lookup tables, which would give the module a data section
// (written into tfjs-wasm's heap at instantiation); these are Cephes' expf and logf (range reduction and a
// polynomial, within 2 ulp), exp four lanes at a time.

@inline export function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline export function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/**
 * e^x in each lane: x = n·ln 2 + r with n = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 in two parts, so r is exact),
 * e^r by its degree-7 polynomial, times 2^n built in the exponent bits. x is clamped to [−87.34, 88]: below, the
 * smallest normal float comes back (e^x is below it), and exp(0) is exactly 1.
 */
@inline export function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.33654)), f32x4.splat(88.0));
  const n = f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504089)), f32x4.splat(0.5)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(y, scale);
}

/** e^x of one float (exp4's first lane). */
@inline export function expf(x: f32): f32 {
  return f32x4.extract_lane(exp4(f32x4.splat(x)), 0);
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
