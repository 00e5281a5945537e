// The DPO loss and its gradient against numbers worked by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { dpoLoss, preferenceLoss, preferenceMetrics, sequenceLogp } from '../../src/core/algos/dpo';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('dpoLoss', () => {
  // Two pairs, β = 0.1.
  //   pair 0: log π(y_w) = −10, log π(y_l) = −12, log π_ref = −11, −11 → h = 0.1·(2 − 0) = 0.2
  //           −log σ(0.2) = log(1 + e^−0.2) = 0.5981388694
  //   pair 1: log π(y_w) = −5, log π(y_l) = −4, log π_ref = −5, −5 → h = 0.1·(−1 − 0) = −0.1
  //           −log σ(−0.1) = log(1 + e^0.1) = 0.7443966601
  //   mean: 0.6712677647
  const inputs = () => ({
    policyChosen: tf.tensor1d([-10, -5]),
    policyRejected: tf.tensor1d([-12, -4]),
    refChosen: tf.tensor1d([-11, -5]),
    refRejected: tf.tensor1d([-11, -5]),
  });

  it('is −mean log σ(β·(policy margin − reference margin)), worked by hand', async () => {
    const loss = dpoLoss(inputs(), 0.1);
    expect(loss.shape).toEqual([]);
    expect((await loss.data())[0]).toBeCloseTo(0.6712677647, 6);
  });

  it('has gradient −β·σ(−h)/B on log π(y_w) and the opposite on log π(y_l)', async () => {
    // ∂L/∂ log π(y_w)_i = −(1/B)·β·σ(−h_i): pair 0 −0.05·σ(−0.2) = −0.0225083001, pair 1 −0.05·σ(0.1) = −0.0262489594.
    const x = inputs();
    const g = tf.grads((chosen: tf.Tensor, rejected: tf.Tensor) => dpoLoss({ ...x, policyChosen: chosen, policyRejected: rejected }, 0.1));
    const [dChosen, dRejected] = g([x.policyChosen, x.policyRejected]);
    const dc = await dChosen.data();
    const dr = await dRejected.data();
    expect(dc[0]).toBeCloseTo(-0.0225083001, 7);
    expect(dc[1]).toBeCloseTo(-0.0262489594, 7);
    expect(dr[0]).toBeCloseTo(0.0225083001, 7);
    expect(dr[1]).toBeCloseTo(0.0262489594, 7);
  });

  it('is log 2 when the policy equals the reference, and depends only on the margins', async () => {
    const same = dpoLoss({ policyChosen: tf.tensor1d([-3]), policyRejected: tf.tensor1d([-7]), refChosen: tf.tensor1d([-3]), refRejected: tf.tensor1d([-7]) }, 0.5);
    expect((await same.data())[0]).toBeCloseTo(Math.LN2, 6);
    // Shifting both log-probs of a model by a constant leaves the loss unchanged.
    const x = inputs();
    const shifted = dpoLoss({ ...x, policyChosen: tf.add(x.policyChosen, 3), policyRejected: tf.add(x.policyRejected, 3) }, 0.1);
    expect((await shifted.data())[0]).toBeCloseTo(0.6712677647, 6);
  });

  it('stays finite for large margins (log σ through softplus)', async () => {
    // h = 1·(−200): −log σ(−200) = 200 + log(1 + e^−200) ≈ 200.
    const loss = dpoLoss({ policyChosen: tf.tensor1d([-300]), policyRejected: tf.tensor1d([-100]), refChosen: tf.tensor1d([0]), refRejected: tf.tensor1d([0]) }, 1);
    expect((await loss.data())[0]).toBeCloseTo(200, 3);
  });
});

describe('sequenceLogp', () => {
  it('sums token log-probabilities over the masked tokens', async () => {
    const tokens = tf.tensor2d([[-1, -2, -3], [-0.5, -0.25, -4]]);
    expect(Array.from(await sequenceLogp(tokens).data())).toEqual([-6, -4.75]);
    const mask = tf.tensor2d([[0, 1, 1], [1, 1, 0]]);
    expect(Array.from(await sequenceLogp(tokens, mask).data())).toEqual([-5, -0.75]);
  });
});

describe('preferenceLoss: IPO and conservative DPO', () => {
  // The same two pairs: z = policy margin − reference margin = [2, −1], β = 0.1.
  const x = () => [tf.tensor1d([-10, -5]), tf.tensor1d([-12, -4]), tf.tensor1d([-11, -5]), tf.tensor1d([-11, -5])] as const;

  it('IPO is mean (z − 1/(2β))², with gradient 2(z − 1/(2β))/B on log π(y_w)', async () => {
    // 1/(2β) = 5: (2 − 5)² = 9, (−1 − 5)² = 36, mean 22.5; gradients 2·(−3)/2 = −3 and 2·(−6)/2 = −6.
    const [c, r, rc, rr] = x();
    expect((await preferenceLoss(c, r, rc, rr, { loss: 'ipo', beta: 0.1, labelSmoothing: 0 }).data())[0]).toBeCloseTo(22.5, 4);
    const g = tf.grads((cc: tf.Tensor, rj: tf.Tensor) => preferenceLoss(cc, rj, rc, rr, { loss: 'ipo', beta: 0.1, labelSmoothing: 0 }));
    const [dc, dr] = g([c, r]);
    expect(Array.from(await dc.data())).toEqual([-3, -6].map((v) => expect.closeTo(v, 4)));
    expect(Array.from(await dr.data())).toEqual([3, 6].map((v) => expect.closeTo(v, 4)));
  });

  it('cDPO is (1−ε)·(−log σ(h)) + ε·(−log σ(−h)), with its gradient', async () => {
    // ε = 0.1, h = [0.2, −0.1]: 0.9·0.5981388694 + 0.1·0.7981388694 = 0.6181388694;
    // 0.9·0.7443966601 + 0.1·0.6443966601 = 0.7343966601; mean 0.6762677647.
    // ∂/∂ log π(y_w)_i = β/B·(−(1−ε)·σ(−h_i) + ε·σ(h_i)) = −0.0175083001, −0.0212489594.
    const [c, r, rc, rr] = x();
    const opts = { loss: 'cdpo', beta: 0.1, labelSmoothing: 0.1 } as const;
    expect((await preferenceLoss(c, r, rc, rr, opts).data())[0]).toBeCloseTo(0.6762677647, 6);
    const [dc] = tf.grads((cc: tf.Tensor) => preferenceLoss(cc, r, rc, rr, opts))([c]);
    const d = await dc.data();
    expect(d[0]).toBeCloseTo(-0.0175083001, 7);
    expect(d[1]).toBeCloseTo(-0.0212489594, 7);
    // ε = 0 is DPO exactly.
    expect((await preferenceLoss(c, r, rc, rr, { ...opts, labelSmoothing: 0 }).data())[0]).toBeCloseTo(0.6712677647, 6);
  });

  it('metrics: implicit rewards, margins, accuracy and log-probabilities', () => {
    // Implicit rewards β(log π − log π_ref): chosen [0.1, 0], rejected [−0.1, 0.1].
    const m = preferenceMetrics([-10, -5], [-12, -4], [-11, -5], [-11, -5], 0.1);
    expect(m['rewards/chosen']).toBeCloseTo(0.05, 9);
    expect(m['rewards/rejected']).toBeCloseTo(0, 9);
    expect(m['rewards/margins']).toBeCloseTo(0.05, 9);
    expect(m['rewards/accuracies']).toBe(0.5);
    expect(m['logps/chosen']).toBe(-7.5);
    expect(m['logps/rejected']).toBe(-8);
  });
});
