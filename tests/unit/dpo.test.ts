// The DPO loss and its gradient against numbers worked by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { dpoLoss, sequenceLogp } from '../../src/core/algos/dpo';

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
