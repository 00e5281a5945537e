// The reward model's Bradley-Terry loss, its gradient and held-out accuracy, against values worked out by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { bradleyTerryLoss, logSigmoid, pairAccuracy, stackedBradleyTerryLoss, withCovariate } from '../../src/core/algos/reward';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const sigma = (z: number) => 1 / (1 + Math.exp(-z));
const scalar = async (t: tf.Tensor) => (await t.data())[0];

describe('bradleyTerryLoss', () => {
  it('matches −mean[y·log σ(Δ) + (1 − y)·log σ(−Δ)] worked by hand', async () => {
    // rA = [2, 0], rB = [1, 1] → Δ = [1, −1]; targets y = [1, ½].
    //   pair 0: −log σ(1) = log(1 + e^−1) = 0.3132616875
    //   pair 1: −½·log σ(−1) − ½·log σ(1) = ½·(log(1 + e) + log(1 + e^−1)) = ½·(1.3132616875 + 0.3132616875) = 0.8132616875
    //   mean: (0.3132616875 + 0.8132616875) / 2 = 0.5632616875
    const loss = bradleyTerryLoss(tf.tensor1d([2, 0]), tf.tensor1d([1, 1]), tf.tensor1d([1, 0.5]));
    expect(loss.shape).toEqual([]);
    expect((await loss.data())[0]).toBeCloseTo(0.5632616875, 6);
  });

  it('is −log σ(r_c − r_r) for y = 1 and symmetric in swapping a, b with y → 1 − y', async () => {
    const a = [0.3, -1.2, 2.5];
    const b = [-0.4, 0.7, 2.0];
    // Hand reference: −mean log σ(a − b).
    const expected = -a.reduce((s, ai, i) => s + Math.log(sigma(ai - b[i])), 0) / a.length;
    const l1 = bradleyTerryLoss(tf.tensor1d(a), tf.tensor1d(b), tf.tensor1d([1, 1, 1]));
    const l2 = bradleyTerryLoss(tf.tensor1d(b), tf.tensor1d(a), tf.tensor1d([0, 0, 0]));
    expect((await l1.data())[0]).toBeCloseTo(expected, 6);
    expect((await l2.data())[0]).toBeCloseTo(expected, 6);
  });

  it('stays finite for large margins (log σ through softplus)', async () => {
    // Δ = 100: −log σ(100) ≈ e^−100 ≈ 0; −log σ(−100) = 100 + log(1 + e^−100) ≈ 100.
    const right = bradleyTerryLoss(tf.tensor1d([50]), tf.tensor1d([-50]), tf.tensor1d([1]));
    const wrong = bradleyTerryLoss(tf.tensor1d([50]), tf.tensor1d([-50]), tf.tensor1d([0]));
    expect((await right.data())[0]).toBeCloseTo(0, 6);
    expect((await wrong.data())[0]).toBeCloseTo(100, 3);
    const ls = logSigmoid(tf.tensor1d([-200, 0, 200]));
    const v = await ls.data();
    expect(v[0]).toBeCloseTo(-200, 3);
    expect(v[1]).toBeCloseTo(Math.log(0.5), 6);
    expect(v[2]).toBeCloseTo(0, 6);
  });

  it('has gradient (σ(Δ) − y)/n in r(a) and its negative in r(b)', async () => {
    const rA = [2, 0];
    const rB = [1, 1];
    const y = [1, 0.5];
    const n = rA.length;
    // dL/drA_i = −(1/n)·[y·(1 − σ(Δ)) − (1 − y)·σ(Δ)] = (σ(Δ) − y)/n:
    //   i=0: (σ(1) − 1)/2 = (0.7310585786 − 1)/2 = −0.1344707107
    //   i=1: (σ(−1) − ½)/2 = (0.2689414214 − 0.5)/2 = −0.1155292893
    const closed = rA.map((a, i) => (sigma(a - rB[i]) - y[i]) / n);
    expect(closed[0]).toBeCloseTo(-0.1344707107, 9);
    expect(closed[1]).toBeCloseTo(-0.1155292893, 9);
    const target = tf.tensor1d(y);
    const [gA, gB] = tf.grads((a: tf.Tensor, b: tf.Tensor) => bradleyTerryLoss(a, b, target))([
      tf.tensor1d(rA),
      tf.tensor1d(rB),
    ]);
    const da = await gA.data();
    const db = await gB.data();
    for (let i = 0; i < n; i++) {
      expect(da[i]).toBeCloseTo(closed[i], 6);
      expect(db[i]).toBeCloseTo(-closed[i], 6);
    }
  });

  it('with bootstrap weights is the plain loss on the resampled batch (weights 2, 0, 1: pair 0 twice, pair 2 once)', async () => {
    const [a, b, y] = [[0.3, -1, 2], [0.1, 0.5, 2.5], [1, 0, 0.5]];
    const weighted = bradleyTerryLoss(tf.tensor1d(a), tf.tensor1d(b), tf.tensor1d(y), { weights: tf.tensor1d([2, 0, 1]) });
    const resampled = bradleyTerryLoss(tf.tensor1d([a[0], a[0], a[2]]), tf.tensor1d([b[0], b[0], b[2]]), tf.tensor1d([y[0], y[0], y[2]]));
    expect((await weighted.data())[0]).toBeCloseTo((await resampled.data())[0], 6);
    // all weights 0 (a member that drew none of the batch): loss 0, not NaN
    const none = bradleyTerryLoss(tf.tensor1d(a), tf.tensor1d(b), tf.tensor1d(y), { weights: tf.tensor1d([0, 0, 0]) });
    expect((await none.data())[0]).toBe(0);
  });

  it("adds TRL's center_rewards_coefficient term c·mean((r(a) + r(b))²), worked by hand", async () => {
    // rA = [2, 0], rB = [1, 1], y = [1, 1], c = 0.01.
    //   Bradley-Terry: (−log σ(1) − log σ(−1)) / 2 = (0.3132616875 + 1.3132616875) / 2 = 0.8132616875
    //   centering: 0.01·((2 + 1)² + (0 + 1)²) / 2 = 0.01·5 = 0.05 → 0.8632616875
    const [rA, rB, y] = [tf.tensor1d([2, 0]), tf.tensor1d([1, 1]), tf.tensor1d([1, 1])];
    const loss = bradleyTerryLoss(rA, rB, y, { center: 0.01 });
    expect((await loss.data())[0]).toBeCloseTo(0.8632616875, 6);
    // Its gradient in r(a)_0 adds c·2·(rA + rB)/n = 0.01·2·3/2 = 0.03 to (σ(1) − 1)/2 = −0.1344707107.
    const [gA] = tf.grads((a: tf.Tensor) => bradleyTerryLoss(a, rB, y, { center: 0.01 }))([rA]);
    expect((await gA.data())[0]).toBeCloseTo(-0.1344707107 + 0.03, 6);
    // c = 0 is the plain loss.
    expect((await bradleyTerryLoss(rA, rB, y, { center: 0 }).data())[0]).toBeCloseTo(0.8132616875, 6);
  });

  it("takes TRL's margin off the preferred side's lead, −log σ(r_c − r_r − m), worked by hand", async () => {
    // rA = [2, 0], rB = [1, 1]; pair 0 prefers a with m = 0.5, pair 1 prefers b with m = 1.
    //   pair 0: −log σ(1 − 0.5) = log(1 + e^−0.5) = 0.4740769842
    //   pair 1: the lead of b is 1, −log σ(1 − 1) = log 2 = 0.6931471806
    //   mean: 0.5836120824
    const [rA, rB, y, m] = [tf.tensor1d([2, 0]), tf.tensor1d([1, 1]), tf.tensor1d([1, 0]), tf.tensor1d([0.5, 1])];
    expect((await bradleyTerryLoss(rA, rB, y, { margin: m }).data())[0]).toBeCloseTo(0.5836120824, 6);
    // The stacked form (the text reward model's) bypasses the fused kernel and gives the same value.
    const stacked = stackedBradleyTerryLoss(tf.tensor1d([2, 0, 1, 1]), y, { margin: m, center: 0.01 });
    expect((await stacked.data())[0]).toBeCloseTo(0.5836120824 + 0.05, 6);
    // A margin makes a pair the model already ranks right cost more: m = 0 < m = 0.5.
    const plain = (await bradleyTerryLoss(rA, rB, y).data())[0];
    expect(plain).toBeLessThan(0.5836120824);
  });

  it('with a length covariate (style control) fits r_θ + w·length, and w gets the gradient worked by hand', async () => {
    // r_θ: A [1, 0], B [0, 0]; lengths A [10, 2], B [4, 6]; w = 0.05; both pairs prefer A.
    //   scores A [1.5, 0.1], B [0.2, 0.3] → leads 1.3, −0.2
    //   L = (−log σ(1.3) − log σ(−0.2)) / 2 = 0.5195736616
    //   ∂L/∂w = mean(−(1 − σ(lead))·(len A − len B)) = (−(1 − σ(1.3))·6 + (1 − σ(−0.2))·4) / 2 = 0.4571729438
    const [r, len, y] = [tf.tensor1d([1, 0, 0, 0]), tf.tensor1d([10, 2, 4, 6]), tf.tensor1d([1, 1])];
    const loss = (w: tf.Tensor) => stackedBradleyTerryLoss(withCovariate(r, len, w), y);
    expect(await scalar(loss(tf.scalar(0.05)))).toBeCloseTo(0.5195736616, 6);
    const [g] = tf.grads(loss)([tf.scalar(0.05)]);
    expect(await scalar(g)).toBeCloseTo(0.4571729438, 6);
  });

  it('leaves no tensors behind', () => {
    const a = tf.tensor1d([1, 2]);
    const b = tf.tensor1d([0, 3]);
    const y = tf.tensor1d([1, 0]);
    const before = tf.memory().numTensors;
    const loss = bradleyTerryLoss(a, b, y);
    expect(tf.memory().numTensors).toBe(before + 1); // only the returned scalar
    loss.dispose();
    tf.dispose([a, b, y]);
  });
});

describe('pairAccuracy', () => {
  it('counts decisive pairs ranked the labeler’s way and leaves ties out', () => {
    // pair 0: a preferred, rA > rB → right
    // pair 1: a preferred, rA < rB → wrong
    // pair 2: tie label → not counted
    // pair 3: b preferred, rA > rB → wrong
    // pair 4: b preferred, rA < rB → right
    const acc = pairAccuracy([1, 0, 2, 3, -1], [0, 1, 2.5, 0, 1], [1, 1, 0.5, 0, 0]);
    expect(acc).toBeCloseTo(2 / 4, 12);
  });

  it('is NaN when every label is a tie', () => {
    expect(pairAccuracy([1, 2], [0, 0], [0.5, 0.5])).toBeNaN();
  });

  // RLHF.md: "Accuracy = fraction with r_θ(c) > r_θ(r)". Equal scores do not rank the chosen one higher,
  // whichever of a or b was chosen, so a constant reward model scores 0, not the share of "b" answers.
  it('counts equal scores as wrong whichever side was preferred (strict r(c) > r(r))', () => {
    expect(pairAccuracy([0, 0], [0, 0], [1, 0])).toBe(0);
  });
});
