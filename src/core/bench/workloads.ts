// The benchmark's workloads: one training step of `lm`, `rm` or `dpo` on the GPTs of ../shared/bench/workloads.json,
// built as ../shared/bench/torch_reference.py builds them, and one PPO iteration of the lab's own (no PyTorch twin).
// Host-agnostic (no Node APIs): the CLI, the tab's worker and the tests run the same steps.
//
// Against torch_reference.py, the lm/rm/dpo models here are the same function with the same shapes and parameters:
//  - Architecture: gpt.ts already is the reference's GPT (learned token and position embeddings, pre-LayerNorm blocks
//    with LayerNorm biases and eps 1e-5, causal attention scaled by 1/√(d/H), MLP of width 4d without biases, final
//    LayerNorm, untied head without bias). Linear weights are stored [in, out] and applied as x·W, where nn.Linear
//    stores [out, in] and applies x·Wᵀ: the same map. The token embedding is a one-hot matmul rather than a gather
//    (tfjs-wasm has no gather gradient); the same values.
//  - Initialization: PyTorch's defaults (nn.Embedding N(0, 1), nn.Linear U(±1/√fan_in), wpe N(0, 0.02) as written
//    there), not gpt.ts's GPT-2 scheme (initGpt): `referenceWeights` below. The step's work does not depend on it,
//    the losses' scale does.
//  - rm: the reference's GPT(c, 1) has no LM head and a 1-wide head without bias on the last position. Here: no
//    lm_head, `reward.w` trained, and gptReward's `reward.b` a frozen zero (gpt.ts's reward head has a bias).
//  - Batches: chosen and rejected go through the model as one batch of 2B rows (rm, and dpo for policy and reference),
//    as the lab's reward step and TRL's concatenated_forward do; the reference calls the model on each half. Same
//    numbers, fewer dispatches.
//  - act "gelu" would differ (gpt.ts: GPT-2's tanh form; F.gelu: erf). Every shared workload uses relu.
//  - linear_bias true (biases on every Linear) has no counterpart in gpt.ts: such a config is refused.
import { tf, type Tensor } from '../tf';
import { Rng } from '../rng';
import { backboneOf, gptHidden, gptLogits, gptReward, initGpt, type GptConfig } from '../models/gpt';
import { countParams, disposeParams, gradsOf, makeParams, type Params, type Weights } from '../models/params';
import { Adam } from '../optim';
import { ops } from '../kernels';
import { stackedBradleyTerryLoss } from '../algos/reward';
import { stackedPreferenceLoss } from '../algos/dpo';
import { PPO_BENCH, ppoIteration, type PpoBenchSettings } from './ppo_iteration';

/** A model and batch of ../shared/bench/workloads.json (keep the two equal: tests/unit/bench.test.ts compares them). */
export interface BenchModel {
  V: number;
  T: number;
  d: number;
  L: number;
  H: number;
  /** Sequences (lm) or preference pairs (rm, dpo) per step. */
  B: number;
  act: 'relu' | 'gelu';
  linear_bias: boolean;
  lr: number;
}

export const BENCH_MODELS: Record<string, BenchModel> = {
  'gpt-tiny': { V: 64, T: 64, d: 128, L: 2, H: 4, B: 32, act: 'relu', linear_bias: false, lr: 0.0003 },
  'gpt-small': { V: 64, T: 128, d: 256, L: 4, H: 8, B: 64, act: 'relu', linear_bias: false, lr: 0.0003 },
};

export const BENCH_KINDS = ['lm', 'rm', 'dpo', 'ppo'] as const;
export type BenchKind = (typeof BENCH_KINDS)[number];

/** What `--workload all` runs: every step on both models, and the PPO iteration on gpt-tiny (as the issue names it). */
export const ALL_WORKLOADS = ['gpt-tiny:lm', 'gpt-tiny:rm', 'gpt-tiny:dpo', 'gpt-tiny:ppo', 'gpt-small:lm', 'gpt-small:rm', 'gpt-small:dpo'];

/** DPO's β in torch_reference.py. */
export const DPO_BETA = 0.1;

export class BenchError extends Error {
  override name = 'BenchError';
}

/** "gpt-tiny:lm" → its model and kind; a clear error for anything else. */
export function parseWorkload(name: string, models = BENCH_MODELS): { model: string; kind: BenchKind } {
  const [model, kind, ...rest] = name.split(':');
  const valid = `models ${Object.keys(models).join(', ')}; kinds ${BENCH_KINDS.join(', ')}; e.g. gpt-tiny:lm, or all`;
  if (rest.length || kind === undefined) throw new BenchError(`workload "${name}": expected model:kind (${valid})`);
  if (!(model in models)) throw new BenchError(`workload "${name}": unknown model "${model}" (${valid})`);
  if (!(BENCH_KINDS as readonly string[]).includes(kind)) throw new BenchError(`workload "${name}": unknown kind "${kind}" (${valid})`);
  return { model, kind: kind as BenchKind };
}

/** One benchmark workload, built on the current backend. */
export interface Workload {
  /** "gpt-tiny:lm". */
  name: string;
  config: Record<string, unknown>;
  /** Tokens one step processes (torch_reference.py's count: B·T for lm, 2·B·T for rm and dpo). */
  tokens: number;
  /** Trainable parameters updated by a step. */
  params: number;
  /** One step; the returned scalar (the loss, or the PPO statistics) is what the caller reads to synchronize. */
  step(): Promise<Tensor>;
  dispose(): void;
}

/** PyTorch's default initialization of torch_reference.py's GPT, in gpt.ts's names and [in, out] layout. */
export function referenceWeights(c: GptConfig, head: 'lm' | 'reward', rng: Rng): Weights {
  const w: Weights = {};
  const make = (shape: number[], draw: () => number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = draw();
    return { shape, data };
  };
  // nn.Linear(fan_in, out): kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in).
  const linear = (fanIn: number, out: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    return make([fanIn, out], () => (2 * rng.uniform() - 1) * bound);
  };
  const ones = (n: number) => make([n], () => 1);
  const zeros = (n: number) => make([n], () => 0);
  const { V, T, d, L } = c;
  w.wte = make([V, d], () => rng.normal()); // nn.Embedding: N(0, 1)
  w.wpe = make([T, d], () => 0.02 * rng.normal()); // torch.randn(T, d) * 0.02
  for (let l = 0; l < L; l++) {
    w[`h${l}.ln1.g`] = ones(d);
    w[`h${l}.ln1.b`] = zeros(d);
    w[`h${l}.attn.qkv`] = linear(d, 3 * d);
    w[`h${l}.attn.proj`] = linear(d, d);
    w[`h${l}.ln2.g`] = ones(d);
    w[`h${l}.ln2.b`] = zeros(d);
    w[`h${l}.mlp.fc`] = linear(d, 4 * d);
    w[`h${l}.mlp.proj`] = linear(4 * d, d);
  }
  w['lnf.g'] = ones(d);
  w['lnf.b'] = zeros(d);
  if (head === 'lm') w.lm_head = linear(d, V);
  else w['reward.w'] = linear(d, 1);
  return w;
}

/** log π(targets[b, t] | inputs[b, ≤t]) of every position: [B, N]. */
export function tokenLogp(c: GptConfig, p: Params, inputs: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() => {
    const logits = gptLogits(c, p, gptHidden(c, p, inputs)); // [B, N, V]
    return ops.tokenLogp(logits, targets); // fused on webgpu: one dispatch forward, one backward
  });
}

/** log π(targets[b] | inputs[b]) summed over the sequence: [B]; one fused dispatch each way on webgpu. */
function sequenceTokenLogp(c: GptConfig, p: Params, inputs: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() => ops.sequenceLogp(gptLogits(c, p, gptHidden(c, p, inputs)), targets));
}

function randomIds(rng: Rng, rows: number, cols: number, V: number): Tensor {
  return tf.tensor2d(Int32Array.from({ length: rows * cols }, () => rng.int(V)), [rows, cols], 'int32');
}

/** Builds a workload on the current backend, with its weights, optimizer and fixed random batch. */
export function buildWorkload(name: string, seed = 0, models = BENCH_MODELS, ppo = PPO_BENCH): Workload {
  const { model, kind } = parseWorkload(name, models);
  const m = models[model];
  if (m.linear_bias) throw new BenchError(`${model}: linear_bias is not supported (gpt.ts has no biases on its linear maps)`);
  const c: GptConfig = { V: m.V, T: m.T, d: m.d, L: m.L, H: m.H, act: m.act };
  const rng = new Rng(seed);
  const { B, T, V } = m;
  if (kind === 'ppo') return ppoWorkload(name, c, { ...ppo, lr: m.lr }, rng);

  const policy = makeParams(referenceWeights(c, kind === 'rm' ? 'reward' : 'lm', rng));
  const opt = new Adam(policy, m.lr); // torch.optim.Adam's defaults: β = (0.9, 0.999), eps 1e-8
  const owned: Tensor[] = [];
  const own = <X extends Tensor>(t: X): X => (owned.push(t), t);
  const trainStep = (loss: () => Tensor) => async () =>
    tf.tidy(() => {
      const { value, grads } = gradsOf(policy, loss);
      opt.step(grads);
      return value;
    });
  let reference: Params | null = null;
  let step: () => Promise<Tensor>;
  let tokens: number;

  if (kind === 'lm') {
    // F.cross_entropy(model(idx).view(-1, V), tgt): every position, targets drawn independently of the input.
    const ids = own(randomIds(rng, B, T, V));
    const targets = own(randomIds(rng, B, T, V));
    step = trainStep(() => tf.neg(tf.mean(tokenLogp(c, policy, ids, targets))));
    tokens = B * T;
  } else if (kind === 'rm') {
    // −logsigmoid(r(chosen) − r(rejected)).mean() with r the head on the last position.
    const ids = own(tf.tidy(() => tf.concat([randomIds(rng, B, T, V), randomIds(rng, B, T, V)])));
    const last = new Int32Array(2 * B).fill(T - 1);
    const zeroBias = makeParams({ 'reward.b': { shape: [1], data: new Float32Array(1) } }, false);
    owned.push(zeroBias['reward.b']);
    const frozen = { ...policy, ...zeroBias };
    const preferA = own(tf.ones([B]));
    step = trainStep(() => {
      const r = gptReward(c, frozen, ids, last, 'last');
      return stackedBradleyTerryLoss(r, preferA);
    });
    tokens = 2 * B * T;
  } else {
    // seq_logp: the model reads idx[:, :-1] and is scored on idx[:, 1:]; the reference is a second, frozen GPT.
    reference = makeParams(referenceWeights(c, 'lm', rng), false);
    const ids = own(tf.tidy(() => tf.concat([randomIds(rng, B, T, V), randomIds(rng, B, T, V)])));
    const inputs = own(tf.slice(ids, [0, 0], [2 * B, T - 1]));
    const targets = own(tf.slice(ids, [0, 1], [2 * B, T - 1]));
    const ref = reference;
    step = async () =>
      tf.tidy(() => {
        const refLogp = sequenceTokenLogp(c, ref, inputs, targets); // outside the gradient's tape: no_grad
        const { value, grads } = gradsOf(policy, () => {
          const logp = sequenceTokenLogp(c, policy, inputs, targets);
          return stackedPreferenceLoss(logp, refLogp, { loss: 'sigmoid', beta: DPO_BETA, labelSmoothing: 0 });
        });
        opt.step(grads);
        return value;
      });
    tokens = 2 * B * T;
  }
  return {
    name,
    config: { ...m },
    tokens,
    params: countParams(policy),
    step,
    dispose() {
      disposeParams(policy);
      if (reference) disposeParams(reference);
      opt.dispose();
      tf.dispose(owned);
    },
  };
}

/** One PPO iteration per step: policy with a value head, a frozen reference, a reward model; gpt.ts's own init. */
function ppoWorkload(name: string, c: GptConfig, s: PpoBenchSettings, rng: Rng): Workload {
  const policyWeights = initGpt(c, rng, ['value']);
  const policy = makeParams(policyWeights);
  const reference = makeParams(backboneOf(policyWeights), false); // π_ref: the policy before the update
  const rm = makeParams(initGpt(c, rng, ['reward']), false);
  const opt = new Adam(policy, s.lr);
  return {
    name,
    config: { ...c, ...s },
    // Tokens sampled per iteration (completions × new tokens); the iteration also scores and trains on them.
    tokens: s.completions * s.new_tokens,
    params: countParams(policy),
    step: () => ppoIteration(c, { policy, reference, rm, opt }, s, rng),
    dispose() {
      for (const p of [policy, reference, rm]) disposeParams(p);
      opt.dispose();
    },
  };
}
