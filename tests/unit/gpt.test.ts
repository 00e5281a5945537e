// The character GPT: causality, log-probabilities against a plain softmax of its logits, KV-cache sampling against
// greedy decoding with full forward passes, the reward head on each row's last token, and no leaked tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import {
  drawToken,
  gptHidden,
  gptLogits,
  gptReward,
  initGpt,
  sampleGpt,
  tokenStats,
  type GptConfig,
} from '../../src/core/models/gpt';
import { disposeParams, gradsOf, makeParams } from '../../src/core/models/params';
import { lmLoss } from '../../src/core/algos/sft';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const cfg: GptConfig = { V: 11, T: 16, d: 16, L: 2, H: 2, act: 'gelu' };

function ids(rows: number[][]) {
  return tf.tensor2d(rows.flat(), [rows.length, rows[0].length], 'int32');
}

describe('gpt', () => {
  it('is causal: a later token does not change earlier hidden states', async () => {
    const p = makeParams(initGpt(cfg, new Rng(3)));
    const a = gptHidden(cfg, p, ids([[1, 2, 3, 4, 5]]));
    const b = gptHidden(cfg, p, ids([[1, 2, 3, 9, 0]]));
    const [ha, hb] = [await a.array(), await b.array()] as number[][][][];
    for (let t = 0; t < 3; t++) for (let i = 0; i < cfg.d; i++) expect(hb[0][t][i]).toBeCloseTo(ha[0][t][i], 5);
    expect(Math.abs(hb[0][3][0] - ha[0][3][0]) + Math.abs(hb[0][4][1] - ha[0][4][1])).toBeGreaterThan(1e-6);
    tf.dispose([a, b]);
    disposeParams(p);
  });

  it('gives the log-probability and entropy of a plain softmax of its logits', async () => {
    const p = makeParams(initGpt(cfg, new Rng(4)));
    const x = ids([[0, 3, 5, 7], [0, 1, 1, 2]]);
    const hidden = gptHidden(cfg, p, x);
    const logits = (await gptLogits(cfg, p, hidden).array()) as number[][][];
    const { logp, entropy } = tokenStats(cfg, hidden, p, x, 0.7);
    const [lp, ent] = [(await logp.array()) as number[][], (await entropy.array()) as number[][]];
    const rows = [[0, 3, 5, 7], [0, 1, 1, 2]];
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 3; t++) {
        const z = logits[b][t].map((v) => v / 0.7);
        const m = Math.max(...z);
        const Z = z.reduce((s, v) => s + Math.exp(v - m), 0);
        const probs = z.map((v) => Math.exp(v - m) / Z);
        expect(lp[b][t]).toBeCloseTo(Math.log(probs[rows[b][t + 1]]), 5);
        expect(ent[b][t]).toBeCloseTo(-probs.reduce((s, q) => s + q * Math.log(q), 0), 5);
      }
    }
    disposeParams(p);
  });

  it('samples with its key/value cache exactly what greedy full forward passes choose', async () => {
    const p = makeParams(initGpt(cfg, new Rng(5)));
    // Sharpen the output head so greedy choices are not near-ties.
    p.lm_head.assign(tf.mul(p.lm_head, 40));
    const prefixes = [[0, 4, 2], [0, 7]];
    const s = await sampleGpt(cfg, p, { prefixes, maxNew: 6, temperature: 0, topK: 0, eos: 10 }, new Rng(1));
    expect(s.N).toBe(3 + 6);
    for (let b = 0; b < 2; b++) {
      const seq = [...prefixes[b]];
      for (let k = 0; k < s.length[b]; k++) {
        const lg = tf.tidy(() => gptLogits(cfg, p, gptHidden(cfg, p, ids([seq])))).arraySync() as number[][][];
        const last = lg[0][seq.length - 1];
        seq.push(last.indexOf(Math.max(...last)));
        if (seq[seq.length - 1] === 10) break;
      }
      expect(Array.from(s.ids.subarray(b * s.N, b * s.N + seq.length))).toEqual(seq);
      expect(s.start[b]).toBe(prefixes[b].length - 1);
      expect(s.length[b]).toBe(seq.length - prefixes[b].length);
    }
    disposeParams(p);
  });

  it('reads the reward head on each row\'s last token only', async () => {
    const p = makeParams(initGpt(cfg, new Rng(6), ['reward']));
    const r1 = await gptReward(cfg, p, ids([[0, 1, 2, 3, 4], [0, 5, 6, 7, 8]]), Int32Array.from([2, 4])).data();
    // Changing tokens after row 0's last token leaves its reward; row 1 alone is asked about its position 4.
    const r2 = await gptReward(cfg, p, ids([[0, 1, 2, 9, 9], [0, 5, 6, 7, 8]]), Int32Array.from([2, 4])).data();
    expect(r2[0]).toBeCloseTo(r1[0], 5);
    expect(r2[1]).toBeCloseTo(r1[1], 5);
    const r3 = await gptReward(cfg, p, ids([[0, 1, 2, 3, 4]]), Int32Array.from([3])).data();
    expect(Math.abs(r3[0] - r1[0])).toBeGreaterThan(1e-7);
    disposeParams(p);
  });

  it('draws tokens with temperature and top-k as specified', () => {
    const logits = Float32Array.from([2, 1, 0, -1]);
    const rng = new Rng(7);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[drawToken(logits, 1, 2, rng)] += 1;
    expect(counts[2] + counts[3]).toBe(0); // outside the top 2
    // P(0) = e² / (e² + e) = 0.731
    expect(counts[0] / 4000).toBeGreaterThan(0.7);
    expect(counts[0] / 4000).toBeLessThan(0.76);
    expect(drawToken(logits, 0, 0, rng)).toBe(0);
  });

  it('lowers the language-model loss on a repeated sequence and leaks no tensors', async () => {
    const p = makeParams(initGpt(cfg, new Rng(8)));
    const x = ids([[0, 1, 2, 3, 4, 5, 6, 7]]);
    const { Adam } = await import('../../src/core/optim');
    const adam = new Adam(p, 1e-2);
    const losses: number[] = [];
    let tensors = -1;
    for (let i = 0; i < 30; i++) {
      const l = tf.tidy(() => {
        const { value, grads } = gradsOf(p, () => lmLoss(cfg, p, x));
        adam.step(grads);
        return value;
      });
      losses.push((await l.data())[0]);
      l.dispose();
      if (i === 1) tensors = tf.memory().numTensors;
      if (i > 1) expect(tf.memory().numTensors).toBe(tensors);
    }
    expect(losses[0]).toBeGreaterThan(Math.log(11) - 0.3);
    expect(losses[29]).toBeLessThan(0.5 * losses[0]);
    adam.dispose();
    disposeParams(p);
  });
});
