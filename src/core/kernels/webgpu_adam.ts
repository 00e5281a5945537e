// Adam's update on the webgpu backend: about one dispatch per parameter tensor instead of ~13.
//
// Written on tf ops (optim.ts), one Adam step is mul, mul, add, square, mul, mul, add, div, div, sqrt, add, mul, sub
// per tensor, each its own dispatch: on gpt-tiny, 21 tensors and 231 of a step's 583 dispatches. Here the updates
// are elementwise WGSL programs (webgpu_program.ts), with β, 1 − β, the bias corrections and lr as uniforms (no
// scalar tensors to upload). A tfjs program has exactly one output, and the model's variables are separate buffers
// that a flat buffer cannot alias, so θ takes one dispatch per tensor; the moments, which Adam owns, live in one
// flat buffer updated in one dispatch (fusedAdamFlat). fusedAdamUpdate, three dispatches per tensor (m, v, θ), serves
// a step with a gradient missing. The arithmetic is optim.ts's, in the same order and with the same f32 constants
// (1 − 0.999 taken in f32 would be off by 1.3e-5 relative), so the paths agree to the bit on SwiftShader
// (tests/webgpu/adam_fused.test.ts).
import { tf, type Tensor, type Variable } from '../tf';
import { runProgram } from './webgpu_program';

// The three updates as WGSL expressions of the old moment (or the new m and v) and the gradient; optim.ts's order.
const newM = (m: string, g: string) => `${m} * uniforms.beta1 + ${g} * uniforms.rest1`;
const newV = (v: string, g: string) => `${v} * uniforms.beta2 + (${g} * ${g}) * uniforms.rest2`;
const newTheta = (m: string, v: string) =>
  `P[index] - ((${m} / uniforms.c1) / (sqrt(${v} / uniforms.c2) + uniforms.eps)) * uniforms.lr`;

function uniformsOf(h: AdamHyper): Record<string, number> {
  return { beta1: h.beta1, rest1: 1 - h.beta1, beta2: h.beta2, rest2: 1 - h.beta2, c1: h.c1, c2: h.c2, eps: h.eps, lr: h.lr };
}

export interface AdamHyper {
  beta1: number;
  beta2: number;
  eps: number;
  lr: number;
  /** Bias corrections 1 − β1^t and 1 − β2^t. */
  c1: number;
  c2: number;
}

/**
 * One Adam step of parameter `p` with gradient `g` and moments `m`, `v` (all float32, one shape), on the webgpu
 * backend: three dispatches, each writing a fresh buffer that the variable then takes over (assign), so no buffer
 * that another tensor shares is ever written in place. Leaves no tensor behind.
 */
export function fusedAdamUpdate(p: Variable, g: Tensor, m: Variable, v: Variable, h: AdamHyper): void {
  const elementwise = (key: string, inputs: string[], expr: string) => ({
    key,
    inputs,
    outputShape: p.shape,
    threads: p.size,
    uniforms: uniformsOf(h),
    body: `result[index] = ${expr};`,
  });
  const m1 = runProgram(elementwise('adam_m', ['M', 'G'], newM('M[index]', 'G[index]')), [m, g]);
  const v1 = runProgram(elementwise('adam_v', ['V', 'G'], newV('V[index]', 'G[index]')), [v, g]);
  const p1 = runProgram(elementwise('adam_p', ['P', 'M', 'V'], newTheta('M[index]', 'V[index]')), [p, m1, v1]);
  m.assign(m1);
  v.assign(v1);
  p.assign(p1);
  tf.dispose([m1, v1, p1]); // the variables hold their own reference
}

/**
 * One Adam step of every parameter at once, with both moments in one flat buffer `mv` = [m of each parameter in
 * order, then v of each] (offsets: where each parameter's part of m starts): the gradients concatenated (one
 * dispatch, or a few past the backend's 7 inputs per program), the new m and v in one dispatch, then one per
 * parameter for θ. On gpt-tiny: 26 dispatches where the per-tensor update takes 63.
 */
export function fusedAdamFlat(ps: Variable[], gs: Tensor[], mv: Variable, offsets: number[], h: AdamHyper): void {
  const half = mv.size / 2;
  const g = tf.tidy(() => tf.concat(gs.map((x) => tf.reshape(x, [-1]))));
  // m ← β1·m + (1 − β1)·g in the first half, v ← β2·v + (1 − β2)·g² in the second.
  const mv1 = runProgram(
    {
      key: 'adam_mv',
      inputs: ['MV', 'G'],
      outputShape: [2 * half],
      threads: 2 * half,
      ints: { half },
      uniforms: uniformsOf(h),
      body: `
        if (index < uniforms.half) {
          result[index] = ${newM('MV[index]', 'G[index]')};
        } else {
          let gi = G[index - uniforms.half];
          result[index] = ${newV('MV[index]', 'gi')};
        }`,
    },
    [mv, g],
  );
  g.dispose();
  ps.forEach((p, i) => {
    // θ ← θ − lr·(m / c1) / (√(v / c2) + eps), reading this parameter's part of the new m and v
    const p1 = runProgram(
      {
        key: 'adam_p_flat',
        inputs: ['P', 'MV'],
        outputShape: p.shape,
        threads: p.size,
        ints: { offset: offsets[i], half },
        uniforms: uniformsOf(h),
        body: `
          let j = uniforms.offset + index;
          result[index] = ${newTheta('MV[j]', 'MV[uniforms.half + j]')};`,
      },
      [p, mv1],
    );
    p.assign(p1);
    p1.dispose();
  });
  mv.assign(mv1);
  mv1.dispose();
}

// ---------------------------------------------------------------------------------------------------------------
// In place: a few dispatches per step, whatever the number of parameters.
//
// A tfjs program writes one fresh output, so fusedAdamFlat still takes a dispatch per parameter (its new θ) plus the
// gradients' concatenation. When no other tensor shares a parameter's buffer (a clone or a reshape would), Adam may
// write θ where it is, as optimizers on other frameworks do: one program then reads the gradients and updates both
// moments and θ of several parameters at once, as many as the device binds storage buffers (WebGPU's default of 8:
// the moments plus 3 × (θ, gradient); the lab's device asks for the adapter's limit, webgpu_device.ts). The program is our own WGSL pipeline with read_write bindings, run through the
// backend's recordAndSubmit so that it is ordered with, and counted among, the backend's other dispatches.

interface BackendData {
  resource: unknown;
  values: unknown;
  refCount: number;
}

interface WebgpuInternals {
  device: { limits: { maxStorageBuffersPerShaderStage: number }; createShaderModule(d: { code: string }): unknown; createComputePipeline(d: unknown): unknown };
  tensorMap: { get(dataId: object): BackendData | undefined };
  uploadToGPU(dataId: object): void;
  recordAndSubmit(program: unknown, output: unknown, inputs: unknown[], uniforms: unknown[]): void;
}

const pipelines = new WeakMap<object, Map<number, unknown>>();

/** Our WGSL for `k` parameters (compiled once per k): binding 0 the moments, then θ_j and g_j of each, then the
 * backend's uniforms. */
function inPlaceShader(k: number): string {
  const buffers = 1 + 2 * k;
  // The backend's uniforms first: NaN, Infinity, then a shape and strides per buffer (inputs, then output; each 1-D
  // here, so two i32s), then ours.
  const fields = ['nan : f32,', 'inf : f32,', ...Array.from({ length: buffers }, (_, i) => `shape${i} : i32, stride${i} : i32,`)];
  const ours = ['half : i32,', 'total : i32,', 'groups_x : i32,', ...Array.from({ length: k }, (_, j) => `start${j} : i32, offset${j} : i32,`)];
  const floats = ['beta1', 'rest1', 'beta2', 'rest2', 'c1', 'c2', 'eps', 'lr'].map((n) => `${n} : f32,`);
  const bindings = Array.from(
    { length: k },
    (_, j) => `@group(0) @binding(${1 + 2 * j}) var<storage, read_write> P${j} : array<f32>;
      @group(0) @binding(${2 + 2 * j}) var<storage, read> G${j} : array<f32>;`,
  ).join('\n');
  const branches = Array.from(
    { length: k },
    (_, j) => `${j ? 'else ' : ''}if (t >= uniforms.start${j}${j < k - 1 ? ` && t < uniforms.start${j + 1}` : ''}) {
        let i = t - uniforms.start${j};
        let o = uniforms.offset${j} + i;
        let g = G${j}[i];
        let m = ${newM('MV[o]', 'g')};
        let v = ${newV('MV[uniforms.half + o]', 'g')};
        MV[o] = m;
        MV[uniforms.half + o] = v;
        P${j}[i] = ${newTheta('m', 'v').replace('P[index]', `P${j}[i]`)};
      }`,
  ).join(' ');
  return `
    struct Uniforms { ${[...fields, ...ours, ...floats].join(' ')} };
    @group(0) @binding(0) var<storage, read_write> MV : array<f32>;
    ${bindings}
    @group(0) @binding(${buffers}) var<uniform> uniforms : Uniforms;
    @compute @workgroup_size(${WORKGROUP_IN_PLACE})
    fn main(@builtin(global_invocation_id) gid : vec3<u32>) {
      let t = i32(gid.x) + i32(gid.y) * uniforms.groups_x * ${WORKGROUP_IN_PLACE};
      if (t >= uniforms.total) { return; }
      ${branches}
    }`;
}

const WORKGROUP_IN_PLACE = 64;
const MAX_GROUPS_X = 65535; // WebGPU's default maxComputeWorkgroupsPerDimension

/** How many parameters one in-place program updates on this device: its storage bindings less the moments', halved. */
function perProgram(backend: WebgpuInternals): number {
  return Math.max(1, Math.floor((backend.device.limits.maxStorageBuffersPerShaderStage - 1) / 2));
}

function pipelineFor(backend: WebgpuInternals, k: number): unknown {
  let byK = pipelines.get(backend.device as object);
  if (!byK) pipelines.set(backend.device as object, (byK = new Map()));
  let p = byK.get(k);
  if (!p) {
    const module = backend.device.createShaderModule({ code: inPlaceShader(k) });
    p = backend.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    byK.set(k, p);
  }
  return p;
}

/** Whether Adam may write these tensors' buffers in place: each is the only tensor holding its buffer. */
export function ownsBuffers(tensors: Tensor[]): boolean {
  const backend = tf.backend() as unknown as WebgpuInternals;
  const ids = new Set<object>();
  for (const x of tensors) {
    const data = backend.tensorMap.get(x.dataId);
    if (!data || data.refCount !== 1 || ids.has(x.dataId)) return false;
    ids.add(x.dataId);
  }
  return true;
}

/**
 * fusedAdamFlat's step with θ and the moments written in place: ⌈parameters / k⌉ dispatches, k = 3 on a default
 * device and 5 at 12 storage buffers (gpt-tiny: 7 or 5, where fusedAdamFlat takes 26). Only when ownsBuffers([mv, ...ps]); the same numbers to the bit.
 */
export function fusedAdamInPlace(ps: Variable[], gs: Tensor[], mv: Variable, offsets: number[], h: AdamHyper): void {
  const backend = tf.backend() as unknown as WebgpuInternals;
  const k = perProgram(backend);
  const half = mv.size / 2;
  const info = (x: Tensor) => ({ dataId: x.dataId, shape: [x.size], dtype: 'float32' });
  for (const x of [mv, ...ps, ...gs]) backend.uploadToGPU(x.dataId);
  for (let first = 0; first < ps.length; first += k) {
    const idx = ps.slice(first, first + k).map((_, j) => first + j);
    const starts: number[] = [];
    let total = 0;
    for (const i of idx) {
      starts.push(total);
      total += ps[i].size;
    }
    const groups = Math.ceil(total / WORKGROUP_IN_PLACE);
    const groupsX = Math.min(groups, MAX_GROUPS_X);
    const uniforms = [
      { type: 'int32', data: [half] },
      { type: 'int32', data: [total] },
      { type: 'int32', data: [groupsX] },
      ...idx.flatMap((i, j) => [
        { type: 'int32', data: [starts[j]] },
        { type: 'int32', data: [offsets[i]] },
      ]),
      ...Object.values(uniformsOf(h)).map((x) => ({ type: 'float32', data: [x] })),
    ];
    const program = { pipeline: pipelineFor(backend, idx.length), dispatch: [groupsX, Math.ceil(groups / groupsX), 1] };
    backend.recordAndSubmit(program, info(mv), idx.flatMap((i) => [info(ps[i]), info(gs[i])]), uniforms);
  }
  // A value read back earlier is cached on the host: drop it, or data() would return the old one.
  for (const x of [mv, ...ps]) backend.tensorMap.get(x.dataId)!.values = null;
}
