// Adam's update on the webgpu backend in three dispatches per parameter tensor instead of ~13.
//
// Written on tf ops (optim.ts), one Adam step is mul, mul, add, square, mul, mul, add, div, div, sqrt, add, mul, sub
// per tensor, each its own dispatch; on small models the cost of a dispatch is host work (tfjs bookkeeping, bind
// groups, Dawn validation: bench/README.md, ~80–95 µs each), not arithmetic, so Adam was about half of a gpt-tiny
// step's dispatches. Here each of the new m, the new v and the new θ is one elementwise WGSL program run through the
// backend's runWebGPUProgram, with β, the bias corrections and lr as uniforms (no scalar tensors to upload). A tfjs
// program has exactly one output, hence three: writing m, v and θ from one dispatch would need a flat buffer that
// the model's variables cannot be views into. The arithmetic is optim.ts's, in the same order, so the two paths
// agree to float rounding (tests/webgpu/adam_fused.test.ts).
//
// Nothing here imports @tensorflow/tfjs-backend-webgpu: importing it registers the backend, which hosts do only
// after installing navigator.gpu (src/cli/webgpu_node.ts); the program is a plain object of the shape the backend's
// WebGPUProgram interface asks for (tfjs-backend-webgpu 4.22, webgpu_program.d.ts).
import { tf, type Tensor, type Variable } from '../tf';

type AdamPart = 'm' | 'v' | 'p';

interface Uniform {
  type: 'float32';
  data: number[];
}

type TensorInfo = Parameters<ReturnType<typeof tf.engine>['makeTensorFromTensorInfo']>[0];

interface WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  uniforms: string;
  getUserCode: () => string;
}

interface WebgpuBackend {
  runWebGPUProgram(program: WebgpuProgram, inputs: TensorInfo[], dtype: 'float32', uniforms: Uniform[]): TensorInfo;
}

const WORKGROUP = 64;

/** `result = f(inputs)` elementwise, `index` the flat position (the backend's main(index) entry). */
const BODY: Record<AdamPart, { inputs: string[]; uniforms: string; expr: string }> = {
  // m ← β1·m + (1 − β1)·g
  // (1 − β) comes in as a uniform, as optim.ts has it: 1 − 0.999 taken in f32 is off by 1.3e-5 relative.
  m: { inputs: ['M', 'G'], uniforms: 'beta : f32, rest : f32,', expr: 'M[index] * uniforms.beta + G[index] * uniforms.rest' },
  // v ← β2·v + (1 − β2)·g²
  v: {
    inputs: ['V', 'G'],
    uniforms: 'beta : f32, rest : f32,',
    expr: 'V[index] * uniforms.beta + (G[index] * G[index]) * uniforms.rest',
  },
  // θ ← θ − lr·(m / c1) / (√(v / c2) + eps), with the new m and v
  p: {
    inputs: ['P', 'M', 'V'],
    uniforms: 'c1 : f32, c2 : f32, eps : f32, lr : f32,',
    expr: 'P[index] - ((M[index] / uniforms.c1) / (sqrt(V[index] / uniforms.c2) + uniforms.eps)) * uniforms.lr',
  },
};

function program(part: AdamPart, shape: number[]): WebgpuProgram {
  const { inputs, uniforms, expr } = BODY[part];
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames: inputs,
    outputShape: shape,
    shaderKey: `rlhf_adam_${part}`, // the backend appends ranks and dtypes
    dispatchLayout: { x: shape.map((_, i) => i) }, // flat: the backend reshapes an oversized x into x·y(·z)
    dispatch: [Math.ceil(size / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          result[index] = ${expr};
        }
      }`,
  };
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

/** Whether the active backend can run the fused update. */
export function canFuseAdam(): boolean {
  return tf.getBackend() === 'webgpu';
}

/**
 * One Adam step of parameter `p` with gradient `g` and moments `m`, `v` (all float32, one shape), on the webgpu
 * backend: three dispatches, each writing a fresh buffer that the variable then takes over (assign), so no buffer
 * that another tensor shares is ever written in place. Leaves no tensor behind.
 */
export function fusedAdamUpdate(p: Variable, g: Tensor, m: Variable, v: Variable, h: AdamHyper): void {
  const backend = tf.backend() as unknown as WebgpuBackend;
  const run = (part: AdamPart, inputs: Tensor[], uniforms: number[]): Tensor =>
    tf.engine().makeTensorFromTensorInfo(
      backend.runWebGPUProgram(
        program(part, p.shape),
        inputs as unknown as TensorInfo[],
        'float32',
        uniforms.map((x) => ({ type: 'float32', data: [x] })),
      ),
    );
  const m1 = run('m', [m, g], [h.beta1, 1 - h.beta1]);
  const v1 = run('v', [v, g], [h.beta2, 1 - h.beta2]);
  const p1 = run('p', [p, m1, v1], [h.c1, h.c2, h.eps, h.lr]);
  m.assign(m1);
  v.assign(v1);
  p.assign(p1);
  tf.dispose([m1, v1, p1]); // the variables hold their own reference
}
