// KTO from thumbs (TRL's unpaired feedback): the loss on a mix of desirable and undesirable completions and its logs
// against values worked out by hand, simulated thumbs against their stated probabilities, the experiment's rule that
// thumbs need KTO, and a seeded landscape run from thumbs alone that must raise gold with no tensor left behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { ktoLoss, ktoThumbLoss, thumbMetrics } from '../../src/core/algos/kto';
import { simulatedThumb, labelCounts, targetOf } from '../../src/core/feedback/labelers';
import { Rng } from '../../src/core/rng';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides, parseExperiment, ExperimentError } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { publicAssets } from '../../src/cli/fs_assets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const scalar = async (t: tf.Tensor) => (await t.data())[0];

describe('KTO loss on thumbs (TRL KTOTrainer, unpaired)', () => {
  // Three thumbs: log π −10, −5, −12 against log π_ref −11, −5, −11, so r = [1, 0, −1]; up, down, up. z_ref = 0.25,
  // β = 0.5, λ_D = 1, λ_U = 2:
  //   up 1 − σ(0.5·(1 − 0.25)) = 0.4073334000, down 2·(1 − σ(0.5·(0.25 − 0))) = 0.9375812533,
  //   up 1 − σ(0.5·(−1 − 0.25)) = 0.6513548647; mean over the three: 0.6654231727
  const o = { kl_coef: 0.5, desirable_weight: 1, undesirable_weight: 2 };

  it('is the mean of λ_D·(1 − σ(β(r − z))) over the ups and λ_U·(1 − σ(β(z − r))) over the downs, worked by hand', async () => {
    const loss = ktoThumbLoss(tf.tensor1d([-10, -5, -12]), tf.tensor1d([-11, -5, -11]), tf.scalar(0.25), Float32Array.from([1, 0, 1]), o);
    expect(await scalar(loss)).toBeCloseTo(0.6654231727, 6);
    const plain = (1 - sigmoid(0.375) + 2 * (1 - sigmoid(0.125)) + 1 - sigmoid(-0.625)) / 3;
    expect(plain).toBeCloseTo(0.6654231727, 9);
  });

  it('the paired loss is the thumbs loss with the chosen sides up and the rejected sides down', async () => {
    const [lp, ref, z] = [tf.tensor1d([-10, -5, -12, -4]), tf.tensor1d([-11, -5, -11, -5]), tf.scalar(0.375)];
    const paired = await scalar(ktoLoss(lp, ref, z, o));
    const thumbs = await scalar(ktoThumbLoss(lp, ref, z, Float32Array.from([1, 1, 0, 0]), o));
    expect(paired).toBeCloseTo(0.6983530999, 6); // offline_methods.test.ts works this one out
    expect(thumbs).toBeCloseTo(paired, 6);
  });

  it('logs rewards/* and logps/* as means over each side, margins only where both sides are in the batch', () => {
    // β = 0.5: ups r = 1, −1 → rewards/chosen 0.5·0 = 0, logps/chosen −11; down r = 0 → rewards/rejected 0, logps −5.
    const row = thumbMetrics([-10, -5, -12], [-11, -5, -11], [1, 0, 1], 0.5);
    expect(row).toEqual({ 'rewards/chosen': 0, 'logps/chosen': -11, 'rewards/rejected': 0, 'logps/rejected': -5, 'rewards/margins': 0 });
    const ups = thumbMetrics([-10, -12], [-11, -11], [1, 1], 0.5);
    expect(ups['rewards/chosen']).toBeCloseTo(0, 9);
    expect(ups).not.toHaveProperty('rewards/rejected');
    expect(ups).not.toHaveProperty('rewards/margins');
  });
});

describe('simulated thumbs', () => {
  const labeler = { kind: 'simulated' as const, beta: 2, epsilon: 0, tie_margin: 0, skip_prob: 0, weight: 1, length_bias: 0, thumb_threshold: 0.5 };

  it('give up with probability σ(β·(g − threshold)), ε coin flips and skips as the labeler config says', () => {
    const rng = new Rng(7);
    const N = 20000;
    const share = (cfg: typeof labeler, g: number) => {
      let up = 0;
      for (let i = 0; i < N; i++) up += Number(simulatedThumb(cfg, g, rng) === 'up');
      return up / N;
    };
    // g = 1: σ(2·0.5) = 0.7311; g = 0.5: ½; g = 0: σ(−1) = 0.2689.
    expect(share(labeler, 1)).toBeCloseTo(0.7311, 1);
    expect(Math.abs(share(labeler, 1) - 0.7311)).toBeLessThan(0.015);
    expect(Math.abs(share(labeler, 0.5) - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(share(labeler, 0) - 0.2689)).toBeLessThan(0.015);
    // ε = 0.4 at g = 10 (σ ≈ 1): P(up) = 0.4·½ + 0.6 = 0.8; skip_prob 0.5 halves it to 0.4 and skips the rest.
    expect(Math.abs(share({ ...labeler, epsilon: 0.4 }, 10) - 0.8)).toBeLessThan(0.015);
    const answers = Array.from({ length: N }, () => simulatedThumb({ ...labeler, epsilon: 0.4, skip_prob: 0.5 }, 10, rng));
    expect(Math.abs(answers.filter((a) => a === 'skip').length / N - 0.5)).toBeLessThan(0.015);
    expect(Math.abs(answers.filter((a) => a === 'up').length / N - 0.4)).toBeLessThan(0.015);
  });

  it('are labels that count as decided but teach the reward model nothing (no P(a ≻ b))', () => {
    expect(targetOf('up')).toBeNull();
    expect(targetOf('down')).toBeNull();
    expect(labelCounts([{ answer: 'up' }, { answer: 'down' }, { answer: 'skip' }])).toEqual({ decided: 2, skipped: 1 });
  });
});

describe('schedule.feedback', () => {
  it('"thumbs" is refused for an optimizer that cannot learn from it, naming the field and what to do', () => {
    const e = applyOverrides(preset('text-sentiment-dpo')!, []);
    let err: unknown;
    try {
      parseExperiment({ ...e, schedule: { ...e.schedule, feedback: 'thumbs' } });
    } catch (x) {
      err = x;
    }
    expect(err).toBeInstanceOf(ExperimentError);
    expect((err as ExperimentError).problems.join('\n')).toMatch(/schedule\.feedback: "thumbs".*DPO.*optimizer\.algo "kto"/);
  });

  it('is optional: an experiment without it parses to one without it (hashes and share links unchanged)', () => {
    const e = preset('text-sentiment-kto')!;
    expect(e.schedule).not.toHaveProperty('feedback');
    expect(parseExperiment(e)).toEqual(e);
  });
});

describe('KTO from thumbs on the landscape (cpu, seed 1)', () => {
  it('labels one point at a time, raises gold and the ups\' implicit reward over the downs\', no tensor left behind', async () => {
    const e = applyOverrides(preset('landscape-hello')!, [
      'schedule.rounds=2',
      'schedule.feedback="thumbs"',
      'labelers[0].thumb_threshold=0.02',
      `optimizer=${JSON.stringify({ algo: 'kto', kl_coef: 0.2, lr: 0.04, batch_size: 64, iterations: 40 })}`,
    ]);
    const tensors: number[] = [];
    const runner = await Runner.create(e, { store: new MemoryStore(), runId: 'thumbs', backend: 'cpu', assets: publicAssets, hooks: { onMetrics: () => tensors.push(tf.memory().numTensors) } });
    await runner.run();
    expect(runner.status).toBe('done');
    const labels = runner.labels;
    expect(labels.length).toBe(2 * e.schedule.labels_per_round);
    for (const l of labels) {
      expect(['up', 'down']).toContain(l.answer);
      expect(l.b).toEqual(l.a);
    }
    const rows = runner.metrics;
    runner.dispose();
    const steps = rows.slice(1);
    const tail = steps.slice(-5).reduce((s, r) => s + r['gold/mean'], 0) / 5;
    // Measured: 0.019 → 0.137 (134 of 200 thumbs up at threshold 0.02).
    expect(tail).toBeGreaterThan(rows[0]['gold/mean'] + 0.08);
    expect(steps.at(-1)!['rewards/margins']).toBeGreaterThan(0.3);
    for (const r of steps) expect(r['kl']).toBeGreaterThanOrEqual(0);
    expect(new Set(tensors.slice(1)).size).toBe(1);
  }, 120_000);
});
