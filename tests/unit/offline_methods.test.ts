// The offline preference methods beside DPO (SimPO, ORPO, RPO, KTO), held to numbers worked out here in plain JS from the
// papers' and TRL's formulas, never to the code's own output; then short seeded runs through the Runner that must move
// what each method moves, with tf.memory().numTensors constant from one training step to the next.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { simpoLoss } from '../../src/core/algos/simpo';
import { orpoLoss } from '../../src/core/algos/orpo';
import { averageLogp, nllLoss, preferenceLoss } from '../../src/core/algos/dpo';
import { ktoLoss, ktoReferencePoint } from '../../src/core/algos/kto';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides, parseExperiment, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { publicAssets } from '../../src/cli/fs_assets';
import type { MetricRow } from '../../src/core/checkpoint/record';
import { useBackend } from '../golden_runs';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Plain-JS reference formulas.
const softplus = (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const logSigmoid = (x: number) => -softplus(-x);
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const scalar = async (t: tf.Tensor) => (await t.data())[0];

describe('SimPO loss (Meng et al. 2024; TRL CPOTrainer loss_type "simpo")', () => {
  // Sequence log-probabilities and lengths of two pairs: chosen −4 over 4 tokens (mean −1), −12 over 6 (mean −2);
  // rejected −3 over 2 (mean −1.5), −9 over 5 (mean −1.8). β = 2, γ = 0.5.
  //   h_0 = 2·(−1 + 1.5) − 0.5 = 0.5,  h_1 = 2·(−2 + 1.8) − 0.5 = −0.9
  //   L = mean(log(1 + e^−0.5), log(1 + e^0.9)) = mean(0.4740769842, 1.2411538747) = 0.8576154295
  it('is −mean log σ(β·(mean log π(y_w) − mean log π(y_l)) − γ), worked by hand', async () => {
    const avg = averageLogp(tf.tensor1d([-4, -12, -3, -9]), [4, 6, 2, 5]);
    expect(Array.from(await avg.data())).toEqual([-1, -2, -1.5, -1.8].map((v) => expect.closeTo(v, 6)));
    const loss = simpoLoss(tf.slice(avg, 0, 2), tf.slice(avg, 2, 2), 2, 0.5);
    expect(await scalar(loss)).toBeCloseTo(0.8576154295, 6);
    // TRL's form: −log σ(β·((avg_w − avg_l) − simpo_gamma/β)), in plain JS.
    const trl = meanOf([[-1, -1.5], [-2, -1.8]].map(([w, l]) => -logSigmoid(2 * (w - l - 0.5 / 2))));
    expect(await scalar(loss)).toBeCloseTo(trl, 6);
  });

  it('has gradient −β·σ(−h)/B on the chosen mean log-probability, the opposite on the rejected', async () => {
    const c = tf.tensor1d([-1, -2]);
    const r = tf.tensor1d([-1.5, -1.8]);
    const [dc, dr] = tf.grads((a: tf.Tensor, b: tf.Tensor) => simpoLoss(a, b, 2, 0.5))([c, r]);
    const want = [0.5, -0.9].map((h) => (-2 * sigmoid(-h)) / 2); // −0.3775406688, −0.7109495026
    expect(Array.from(await dc.data())).toEqual(want.map((v) => expect.closeTo(v, 6)));
    expect(Array.from(await dr.data())).toEqual(want.map((v) => expect.closeTo(-v, 6)));
  });

  it('γ = 0 on length-1 completions is DPO with a reference that scores both sides alike', async () => {
    const c = tf.tensor1d([-1, -2]);
    const r = tf.tensor1d([-1.5, -1.8]);
    const zero = tf.zeros([2]);
    const dpo = preferenceLoss(c, r, zero, zero, { loss: 'sigmoid', beta: 2, labelSmoothing: 0 });
    expect(await scalar(simpoLoss(c, r, 2, 0))).toBeCloseTo(await scalar(dpo), 6);
  });
});

describe('ORPO loss (Hong et al. 2024; TRL ORPOTrainer)', () => {
  // Two pairs. Chosen: sequence log-probabilities −2 over 4 tokens (mean −0.5), −3 over 2 (mean −1.5);
  // rejected: −6 over 3 (mean −2), −1 over 1 (mean −1). λ = 0.25.
  // log odds(a) = log(p/(1 − p)), p = e^a, in plain JS below; NLL = (2 + 3)/(4 + 2) = 0.8333333333.
  const logOdds = (a: number) => Math.log(Math.exp(a) / (1 - Math.exp(a)));
  const pairs = [[-0.5, -2], [-1.5, -1]];
  // log odds: −0.5 → 0.4327521 (e^−0.5 = 0.6065307), −2 → −1.8545865, −1.5 → −1.2473838, −1 → −0.5413249.
  const z = pairs.map(([w, l]) => logOdds(w) - logOdds(l)); // 2.2873386717, −0.7061926865
  const nll = 5 / 6;

  it('is NLL(y_w) − λ·mean log σ(log odds(y_w) − log odds(y_l)), with TRL\'s log_odds_ratio and log_odds_chosen', async () => {
    expect(z[0]).toBeCloseTo(2.2873386717, 8);
    expect(z[1]).toBeCloseTo(-0.7061926865, 8);
    const lp = tf.tensor1d([-2, -3, -6, -1]);
    const lengths = [4, 2, 3, 1];
    const avg = averageLogp(lp, lengths);
    const t = orpoLoss(tf.slice(lp, 0, 2), lengths.slice(0, 2), tf.slice(avg, 0, 2), tf.slice(avg, 2, 2), 0.25);
    const ratio = meanOf(z.map(logSigmoid)); // mean(−0.0967059, −1.1073282) = −0.6020170; loss 0.9838376
    expect(await scalar(t.nll)).toBeCloseTo(nll, 6);
    expect(await scalar(t.ratio)).toBeCloseTo(ratio, 5);
    expect(await scalar(t.logOdds)).toBeCloseTo(meanOf(z), 5);
    expect(await scalar(t.loss)).toBeCloseTo(nll - 0.25 * ratio, 5);
    expect(await scalar(t.loss)).toBeCloseTo(0.9838375881, 5);
    // TRL's own expression of the log odds ratio: (a_w − a_l) − (log1p(−e^a_w) − log1p(−e^a_l)).
    const trl = pairs.map(([w, l]) => w - l - (Math.log1p(-Math.exp(w)) - Math.log1p(-Math.exp(l))));
    expect(meanOf(trl)).toBeCloseTo(await scalar(t.logOdds), 5);
  });

  it('has the odds-ratio gradient on the chosen mean log-probability: −λ·σ(−z)/B·(1 + p/(1 − p))', async () => {
    // d log odds(a)/da = 1 + e^a/(1 − e^a) = 1/(1 − e^a).
    const lp = tf.tensor1d([-2, -3]);
    const [dAvg] = tf.grads((a: tf.Tensor) => orpoLoss(lp, [4, 2], a, tf.tensor1d([-2, -1]), 0.25).loss)([tf.tensor1d([-0.5, -1.5])]);
    const want = pairs.map(([w], i) => (-0.25 * sigmoid(-z[i])) / 2 / (1 - Math.exp(w)));
    expect(Array.from(await dAvg.data())).toEqual(want.map((v) => expect.closeTo(v, 5)));
  });

  it('stays finite when a completion is nearly certain (log(1 − e^a) through expm1)', async () => {
    const t = orpoLoss(tf.tensor1d([-1e-6]), [1], tf.tensor1d([-1e-6]), tf.tensor1d([-3]), 0.1);
    expect(Number.isFinite(await scalar(t.loss))).toBe(true);
    // log odds(−1e-6) = log((1 − 1e-6)/1e-6) ≈ 13.8155
    expect(await scalar(t.logOdds)).toBeCloseTo(logOdds(-1e-6) - logOdds(-3), 1);
  });
});

describe('NLL and RPO (Pang et al. 2024; TRL DPOConfig rpo_alpha)', () => {
  it('NLL is −Σ log π(y_w)/Σ|y_w|: the cross-entropy over every chosen token of the batch', async () => {
    // (−(−6) − (−2))/(3 + 5) = 1
    expect(await scalar(nllLoss(tf.tensor1d([-6, -2]), [3, 5]))).toBeCloseTo(1, 6);
  });
});

describe('KTO loss (Ethayarajh et al. 2024; TRL KTOTrainer)', () => {
  // n = 2 comparisons: desirable (chosen) log π −10, −5 and undesirable (rejected) −12, −4, against log π_ref −11, −5,
  // −11, −5: r = [1, 0 | −1, 1]. Mismatched pairs: log π − log π_ref = 0.5, 0.5, −0.5, 1, mean 0.375 = z_ref.
  // β = 0.5, λ_D = 1, λ_U = 2:
  //   desirable 1 − σ(0.5·(1 − 0.375)) = 0.4225046348, 1 − σ(0.5·(0 − 0.375)) = 0.5467381520
  //   undesirable 2·(1 − σ(0.5·(0.375 + 1))) = 0.6691788825, 2·(1 − σ(0.5·(0.375 − 1))) = 1.1549907304
  //   mean over the 4 completions: 0.6983530999
  const o = { kl_coef: 0.5, desirable_weight: 1, undesirable_weight: 2 };
  const ref = () => tf.tensor1d([-11, -5, -11, -5]);

  it('z_ref is the mismatched pairs\' mean log-ratio, floored at 0', async () => {
    expect(await scalar(ktoReferencePoint(tf.tensor1d([-3, -2, -6, -1]), tf.tensor1d([-3.5, -2.5, -5.5, -2])))).toBeCloseTo(0.375, 6);
    expect(await scalar(ktoReferencePoint(tf.tensor1d([-4, -3]), tf.tensor1d([-3, -3])))).toBe(0);
  });

  it('is the mean of λ_D·(1 − σ(β(r − z))) and λ_U·(1 − σ(β(z − r))), worked by hand, with its gradient', async () => {
    const z = tf.scalar(0.375);
    const want = meanOf([
      1 * (1 - sigmoid(0.5 * (1 - 0.375))),
      1 * (1 - sigmoid(0.5 * (0 - 0.375))),
      2 * (1 - sigmoid(0.5 * (0.375 + 1))),
      2 * (1 - sigmoid(0.5 * (0.375 - 1))),
    ]);
    expect(want).toBeCloseTo(0.6983530999, 9);
    const logp = tf.tensor1d([-10, -5, -12, -4]);
    expect(await scalar(ktoLoss(logp, ref(), z, o))).toBeCloseTo(want, 6);
    // ∂/∂ log π(y_i) = ∓λ·β·σ'(·)/(2n), σ' = σ(1 − σ): −0.0304993085, −0.0309769431 on the desirable side,
    // +2·0.5·σ'(0.6875)/4, +2·0.5·σ'(−0.3125)/4 on the undesirable side.
    const [d] = tf.grads((x: tf.Tensor) => ktoLoss(x, ref(), z, o))([logp]);
    const ds = (x: number) => sigmoid(x) * (1 - sigmoid(x));
    const g = [-0.5 * ds(0.3125) / 4, -0.5 * ds(-0.1875) / 4, (2 * 0.5 * ds(0.6875)) / 4, (2 * 0.5 * ds(-0.3125)) / 4];
    expect(g[0]).toBeCloseTo(-0.0304993085, 9);
    expect(Array.from(await d.data())).toEqual(g.map((v) => expect.closeTo(v, 6)));
  });
});

// ---- short seeded runs through the Runner ------------------------------------------------------------------------

async function run(e: Experiment, backend: 'cpu' | 'wasm'): Promise<{ rows: MetricRow[]; tensors: number[] }> {
  const tensors: number[] = [];
  const runner = await Runner.create(e, {
    store: new MemoryStore(),
    runId: e.name,
    backend,
    assets: publicAssets,
    hooks: { onMetrics: () => tensors.push(tf.memory().numTensors) },
  });
  await runner.run();
  expect(runner.status).toBe('done');
  const rows = runner.metrics.slice();
  runner.dispose();
  return { rows, tensors };
}

const landscape = (optimizer: object) =>
  applyOverrides(preset('landscape-hello')!, ['schedule.rounds=2', `optimizer=${JSON.stringify(optimizer)}`]);

describe('SimPO on the landscape (cpu, seed 1)', () => {
  it('raises gold and the length-normalized margin, with no tensor left behind by a step', async () => {
    const { rows, tensors } = await run(landscape({ algo: 'simpo', beta: 2, simpo_gamma: 0.5, lr: 0.04, batch_size: 64, iterations: 40 }), 'cpu');
    const steps = rows.slice(1);
    expect(steps.length).toBe(80);
    expect(steps.at(-1)!['gold/mean']).toBeGreaterThan(rows[0]['gold/mean'] + 0.3);
    expect(steps.at(-1)!['rewards/margins']).toBeGreaterThan(steps[0]['rewards/margins'] + 1);
    expect(steps.at(-1)!['rewards/accuracies']).toBeGreaterThan(0.7);
    expect(steps[0]).not.toHaveProperty('objective/kl_coef'); // no reference model, no β on a KL
    expect(new Set(tensors.slice(1)).size).toBe(1);
  }, 120_000);
});

describe('KTO on the landscape (cpu, seed 1)', () => {
  it('raises gold and the desirable side\'s implicit reward over the undesirable side\'s, with no tensor left behind', async () => {
    const { rows, tensors } = await run(landscape({ algo: 'kto', kl_coef: 0.2, lr: 0.04, batch_size: 64, iterations: 40 }), 'cpu');
    const steps = rows.slice(1);
    // Less than DPO's +0.37 at the same schedule (cli_landscape_algos.test.ts): KTO's loss saturates once each side
    // has passed the reference point.
    expect(meanOf(steps.slice(-5).map((r) => r['gold/mean']))).toBeGreaterThan(rows[0]['gold/mean'] + 0.15);
    expect(steps.at(-1)!['rewards/margins']).toBeGreaterThan(0.5);
    for (const r of steps) expect(r['kl']).toBeGreaterThanOrEqual(0);
    expect(steps[0]['objective/kl_coef']).toBe(0.2);
    expect(new Set(tensors.slice(1)).size).toBe(1);
  }, 120_000);
});

// Text runs kept small (as text_methods.test.ts): 40 labels of completions of up to 8 characters, 8 pairs per step.
const text = (name: string, iterations: number, more: string[] = []) =>
  applyOverrides(preset(name)!, [
    'schedule.rounds=1',
    'schedule.labels_per_round=40',
    'task.max_new_tokens=8',
    'optimizer.batch_size=8',
    'optimizer.eval_samples=8',
    `optimizer.iterations=${iterations}`,
    ...more,
  ]);

describe('ORPO and RPO on text (wasm, seed 1)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  it('ORPO: the NLL of the chosen side falls and the log odds ratio rises, no tensor left behind by a step', async () => {
    const { rows, tensors } = await run(text('text-sentiment-orpo', 12), 'wasm');
    const steps = rows.slice(1);
    for (const k of ['nll_loss', 'log_odds_ratio', 'log_odds_chosen', 'rewards/margins', 'logps/chosen', 'loss/orpo', 'objective/kl', 'gold/mean']) {
      for (const r of steps) expect(Number.isFinite(r[k]), k).toBe(true);
    }
    const head = meanOf(steps.slice(0, 3).map((r) => r['nll_loss']));
    const tail = meanOf(steps.slice(-3).map((r) => r['nll_loss']));
    expect(tail).toBeLessThan(head - 0.2);
    expect(meanOf(steps.slice(-3).map((r) => r['log_odds_chosen']))).toBeGreaterThan(meanOf(steps.slice(0, 3).map((r) => r['log_odds_chosen'])) + 1);
    // log_odds_ratio is the mean log σ of the per-pair log odds ratios: never above 0.
    for (const r of steps) expect(r['log_odds_ratio']).toBeLessThanOrEqual(0);
    expect(steps[0]).not.toHaveProperty('objective/kl_coef');
    expect(new Set(tensors.slice(1)).size).toBe(1);
  }, 120_000);

  it('RPO: the same DPO run with rpo_alpha 1 keeps log π(chosen) higher; without rpo_alpha DPO logs no nll_loss', async () => {
    const rpo = await run(text('text-sentiment-rpo', 12), 'wasm');
    const dpo = await run(text('text-sentiment-dpo', 12), 'wasm');
    const end = (rows: MetricRow[], k: string) => meanOf(rows.slice(-3).map((r) => r[k]));
    // The first step is taken at the reference by both: the same batch, the same log-probabilities.
    expect(rpo.rows[1]['logps/chosen']).toBeCloseTo(dpo.rows[1]['logps/chosen'], 4);
    expect(end(rpo.rows, 'logps/chosen')).toBeGreaterThan(end(dpo.rows, 'logps/chosen') + 1);
    expect(dpo.rows.at(-1)).not.toHaveProperty('nll_loss');
    for (const r of rpo.rows.slice(1)) expect(Number.isFinite(r['nll_loss'])).toBe(true);
    expect(new Set(rpo.tensors.slice(1)).size).toBe(1);
  }, 180_000);
});

describe('SimPO and KTO on text (wasm, seed 1)', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  for (const [name, keys] of [
    ['text-sentiment-simpo', ['loss/simpo']],
    ['text-sentiment-kto', ['loss/kto', 'kl']],
  ] as const) {
    it(`${name}: the implicit-reward margin opens, no tensor left behind by a step`, async () => {
      const { rows, tensors } = await run(text(name, 12), 'wasm');
      const steps = rows.slice(1);
      for (const k of [...keys, 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'objective/kl', 'gold/mean']) {
        for (const r of steps) expect(Number.isFinite(r[k]), k).toBe(true);
      }
      const m = (rs: MetricRow[]) => meanOf(rs.map((r) => r['rewards/margins']));
      expect(m(steps.slice(-3))).toBeGreaterThan(m(steps.slice(0, 3)) + 0.5);
      expect(new Set(tensors.slice(1)).size).toBe(1);
    }, 120_000);
  }
});

describe('configs', () => {
  it('rpo_alpha is optional: a DPO experiment without it parses to one without it (its rows and hash unchanged)', () => {
    const e = preset('text-sentiment-dpo')!;
    expect(e.optimizer).not.toHaveProperty('rpo_alpha');
    expect(parseExperiment(e)).toEqual(e);
  });
});
