// Runs one hand-written WGSL compute program through the tfjs webgpu backend: one dispatch, one fresh output tensor.
//
// The fused kernels (webgpu_*.ts: Adam, layer norm, attention, embedding, token log-probability) exist because on
// small models a step's cost is its number of dispatches (host work per dispatch: bench/README.md), not its
// arithmetic. The program is a plain object of the shape tfjs-backend-webgpu 4.22's WebGPUProgram asks for
// (webgpu_program.d.ts), run by the backend's own runWebGPUProgram, which binds the output as `result` (read_write)
// and each input under its name (read-only), and adds a uniform `<name>Shape` per input (an i32, or vec2<i32> for a
// matrix: x rows, y columns; the name's first letter lowered). The pipeline's layout leaves out a binding the WGSL
// never reads, so a program must read every input it is given.
// Nothing here imports @tensorflow/tfjs-backend-webgpu: importing it registers the backend, which hosts do only
// after installing navigator.gpu (src/cli/webgpu_node.ts).
import { tf, type Tensor } from '../tf';

type TensorInfo = Parameters<ReturnType<typeof tf.engine>['makeTensorFromTensorInfo']>[0];

interface Uniform {
  type: 'float32' | 'int32';
  data: number[];
}

interface WebgpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms: string;
  getUserCode: () => string;
}

interface WebgpuBackend {
  runWebGPUProgram(program: WebgpuProgram, inputs: TensorInfo[], dtype: 'float32', uniforms: Uniform[]): TensorInfo;
}

const WORKGROUP = 64;

export interface FusedProgram {
  /** Names the compiled pipeline (the backend appends input ranks and dtypes); one per distinct WGSL body. */
  key: string;
  /** The inputs' names in WGSL, in the order the tensors are passed. */
  inputs: string[];
  outputShape: number[];
  /** Invocations: `body` runs once for each index in [0, threads). */
  threads: number;
  /** f32 uniforms, `uniforms.<name>` in WGSL; values may change between calls without recompiling. */
  uniforms?: Record<string, number>;
  /** i32 uniforms (offsets, counts), likewise. */
  ints?: Record<string, number>;
  /** WGSL statements run with `index : i32` (0 ≤ index < threads), writing `result[...]`. */
  body: string;
  /** WGSL declarations (constants, functions) placed before the entry point. */
  helpers?: string;
}

/** One dispatch of `spec` over float32 `inputs`; the output is a new tensor the caller owns. */
export function runProgram(spec: FusedProgram, inputs: Tensor[]): Tensor {
  const floats = Object.entries(spec.uniforms ?? {});
  const ints = Object.entries({ threads: spec.threads, ...spec.ints });
  const program: WebgpuProgram = {
    variableNames: spec.inputs,
    outputShape: spec.outputShape,
    shaderKey: `rlhf_${spec.key}`,
    dispatchLayout: { x: [0] }, // flat: the backend reshapes an oversized x into x·y(·z) and getGlobalIndex follows
    dispatch: [Math.ceil(spec.threads / WORKGROUP), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    uniforms: [...ints.map(([n]) => `${n} : i32,`), ...floats.map(([n]) => `${n} : f32,`)].join(' '),
    getUserCode: () => `${spec.helpers ?? ''}
      fn main(index : i32) {
        if (index < uniforms.threads) {
          ${spec.body}
        }
      }`,
  };
  const uniforms: Uniform[] = [
    ...ints.map(([, x]): Uniform => ({ type: 'int32', data: [x] })),
    ...floats.map(([, x]): Uniform => ({ type: 'float32', data: [x] })),
  ];
  const backend = tf.backend() as unknown as WebgpuBackend;
  const out = backend.runWebGPUProgram(program, inputs as unknown as TensorInfo[], 'float32', uniforms);
  return tf.engine().makeTensorFromTensorInfo(out);
}
