// A small GPT's language-model gradients on the current backend, and a comparison of two sets of them: the wasm
// kernel tests' check that a kernel of ours gives the gradients tfjs's own give.
import { expect } from 'vitest';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { gradsOf, type Params } from '../../src/core/models/params';
import { tokenLogp } from '../../src/core/bench/workloads';
import type { GptConfig } from '../../src/core/models/gpt';

export const SMALL_GPT: GptConfig = { V: 16, T: 24, d: 32, L: 2, H: 4, act: 'relu' };

/** d mean(−log π(targets)) / dθ on 6 fixed random rows of T tokens; nothing left behind. */
export async function lmGrads(cfg: GptConfig, p: Params): Promise<Record<string, Float32Array>> {
  const rng = new Rng(3);
  const ids = tf.tensor2d(Int32Array.from({ length: 6 * cfg.T }, () => rng.int(cfg.V)), [6, cfg.T], 'int32');
  const targets = tf.tensor2d(Int32Array.from({ length: 6 * cfg.T }, () => rng.int(cfg.V)), [6, cfg.T], 'int32');
  const { value, grads } = gradsOf(p, () => tf.neg(tf.mean(tokenLogp(cfg, p, ids, targets))));
  const out: Record<string, Float32Array> = {};
  for (const [k, g] of Object.entries(grads)) out[k] = (await g.data()) as Float32Array;
  tf.dispose([value, ids, targets, ...Object.values(grads)] as Tensor[]);
  return out;
}

/** The same parameters, each gradient within `tol` of its largest value (and not all zero). */
export function expectGradsClose(ours: Record<string, Float32Array>, theirs: Record<string, Float32Array>, tol: number): void {
  expect(Object.keys(ours).sort()).toEqual(Object.keys(theirs).sort());
  for (const [k, g] of Object.entries(theirs)) {
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < g.length; i++) {
      scale = Math.max(scale, Math.abs(g[i]));
      diff = Math.max(diff, Math.abs(g[i] - ours[k][i]));
    }
    expect(scale, k).toBeGreaterThan(0);
    expect(diff, k).toBeLessThan(tol * Math.max(scale, 1));
  }
}
