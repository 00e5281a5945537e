// The fused webgpu token log-probability (kernels/webgpu_token_logp.ts: log softmax at the target) against the tf-op
// one (gpt.ts's logSoftmax, then a one-hot pick): the same values and logit gradients on webgpu (Dawn on
// SwiftShader) and against cpu, in 2 dispatches instead of tens, nothing left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_SWIFTSHADER, freeingAtOnce, maxRelDiff, registerWebgpu, useBackend, valueAndGrad, type ValueAndGrad } from './dawn';
import { tf, type Tensor } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { logSoftmax } from '../../src/core/models/gpt';
import { fusedEntropy, fusedSequenceLogp, fusedTokenLogp } from '../../src/core/kernels/webgpu_token_logp';

const [B, N, V] = [3, 30, 40]; // 90 rows: more than one 64-thread workgroup

function unfusedTokenLogp(logits: Tensor, targets: Tensor): Tensor {
  return tf.tidy(() => tf.sum(tf.mul(logSoftmax(logits), tf.cast(tf.oneHot(targets, V), 'float32')), -1));
}

async function run(backend: string, f: (l: Tensor, t: Tensor) => Tensor): Promise<ValueAndGrad> {
  await useBackend(backend);
  const rng = new Rng(3);
  // Logits of a wide spread (a confident model), and weights as a masked, averaged loss gives them.
  const logits = tf.tensor3d(Float32Array.from({ length: B * N * V }, () => 8 * rng.normal()), [B, N, V]);
  const targets = tf.tensor2d(Int32Array.from({ length: B * N }, () => rng.int(V)), [B, N], 'int32');
  const w = tf.tensor2d(Float32Array.from({ length: B * N }, () => rng.normal()), [B, N]);
  const r = await valueAndGrad((l) => f(l, targets), logits, w);
  tf.dispose([logits, targets, w]);
  return r;
}

/** gpt.ts's tokenStats entropy on tf ops: −Σ exp(lp)·lp. */
function unfusedEntropy(logits: Tensor): Tensor {
  return tf.tidy(() => {
    const lp = logSoftmax(logits);
    return tf.neg(tf.sum(tf.mul(tf.exp(lp), lp), -1));
  });
}

async function runEntropy(backend: string, f: (l: Tensor) => Tensor): Promise<ValueAndGrad> {
  await useBackend(backend);
  const rng = new Rng(8);
  // Rows from nearly uniform to nearly one-hot.
  const logits = tf.tensor3d(Float32Array.from({ length: B * N * V }, (_, i) => ((i / V) % 7) * rng.normal()), [B, N, V]);
  const w = tf.tensor2d(Float32Array.from({ length: B * N }, () => rng.normal()), [B, N]);
  const r = await valueAndGrad(f, logits, w);
  tf.dispose([logits, w]);
  return r;
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused entropy on webgpu', () => {
  let r: ValueAndGrad[];

  beforeAll(async () => {
    await registerWebgpu();
    r = [await runEntropy('webgpu', fusedEntropy), await runEntropy('webgpu', unfusedEntropy), await runEntropy('cpu', unfusedEntropy)];
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op entropies and logit gradients (relative error < 1e-4), in fewer dispatches', () => {
    const [on, off, cpu] = r;
    const errs = {
      H_vs_unfused: maxRelDiff(on.y, off.y),
      H_vs_cpu: maxRelDiff(on.y, cpu.y),
      grad_vs_unfused: maxRelDiff(on.grad, off.grad),
      grad_vs_cpu: maxRelDiff(on.grad, cpu.grad),
    };
    console.log('fused entropy, max relative error', errs, 'dispatches', on.dispatches, 'vs', off.dispatches);
    expect(Math.max(...cpu.y)).toBeGreaterThan(3); // near log V somewhere
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-4);
    expect(on.dispatches).toBeLessThan(off.dispatches);
    for (const x of r) expect(x.leaked).toBe(0);
  });
});

describe.skipIf(!HAVE_SWIFTSHADER)('fused token log-probability on webgpu', () => {
  let fused: ValueAndGrad;
  let unfused: ValueAndGrad;
  let cpu: ValueAndGrad;

  beforeAll(async () => {
    await registerWebgpu();
    fused = await run('webgpu', fusedTokenLogp);
    unfused = await run('webgpu', unfusedTokenLogp);
    cpu = await run('cpu', unfusedTokenLogp);
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op log-probabilities and logit gradients (relative error < 1e-4), on webgpu and against cpu', () => {
    const errs = {
      logp_vs_unfused: maxRelDiff(fused.y, unfused.y),
      logp_vs_cpu: maxRelDiff(fused.y, cpu.y),
      grad_vs_unfused: maxRelDiff(fused.grad, unfused.grad),
      grad_vs_cpu: maxRelDiff(fused.grad, cpu.grad),
    };
    console.log('fused token logp, max relative error', errs);
    expect(Math.min(...cpu.y)).toBeLessThan(-10); // confident and wrong somewhere: a real test of the shift
    expect(fused.y.length).toBe(B * N);
    expect(fused.grad.length).toBe(B * N * V);
    for (const [k, e] of Object.entries(errs)) expect(e, k).toBeLessThan(1e-4);
  });

  it('dispatches less and leaves no tensor behind', () => {
    console.log('token logp forward ×2 + backward dispatches: fused', fused.dispatches, 'tf ops', unfused.dispatches);
    expect(unfused.dispatches - fused.dispatches).toBeGreaterThan(15);
    expect(fused.leaked).toBe(0);
    expect(unfused.leaked).toBe(0);
    expect(cpu.leaked).toBe(0);
  });
});

/** A sequence's log-probability on tf ops: the token log-probabilities under the mask, summed per row. */
function unfusedSequenceLogp(logits: Tensor, targets: Tensor, mask?: Tensor): Tensor {
  return tf.tidy(() => {
    const lp = unfusedTokenLogp(logits, targets);
    return tf.sum(mask ? tf.mul(lp, mask) : lp, -1);
  });
}

async function runSequence(backend: string, f: typeof fusedSequenceLogp, masked: boolean): Promise<ValueAndGrad> {
  await useBackend(backend);
  const rng = new Rng(4);
  const logits = tf.tensor3d(Float32Array.from({ length: B * N * V }, () => 8 * rng.normal()), [B, N, V]);
  const ids = Int32Array.from({ length: B * N }, () => rng.int(V));
  // Each row's completion: a different span of positions.
  const mask = Float32Array.from({ length: B * N }, (_, i) => (i % N >= 3 * Math.floor(i / N) + 2 && i % N < N - Math.floor(i / N) ? 1 : 0));
  const w = tf.tensor1d(Float32Array.from({ length: B }, () => rng.normal()));
  // Targets and mask made inside the differentiated function, as the lab makes them; their buffers are freed as
  // soon as the forward pass ends.
  const r = await freeingAtOnce(() =>
    valueAndGrad((l) => f(l, tf.tensor2d(ids, [B, N], 'int32'), masked ? tf.tensor2d(mask, [B, N]) : undefined), logits, w),
  );
  tf.dispose([logits, w]);
  return r;
}

describe.skipIf(!HAVE_SWIFTSHADER)('fused sequence log-probability on webgpu', () => {
  const r: Record<string, ValueAndGrad[]> = {};

  beforeAll(async () => {
    await registerWebgpu();
    for (const masked of [true, false]) {
      const k = masked ? 'masked' : 'whole';
      r[k] = [await runSequence('webgpu', fusedSequenceLogp, masked), await runSequence('webgpu', unfusedSequenceLogp, masked), await runSequence('cpu', unfusedSequenceLogp, masked)];
    }
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives the tf-op sums and logit gradients (relative error < 1e-5), with and without a mask', () => {
    for (const [k, [on, off, cpu]] of Object.entries(r)) {
      expect(on.y.length, k).toBe(B);
      expect(Math.min(...cpu.y), k).toBeLessThan(-20);
      for (const [other, x] of [['unfused', off], ['cpu', cpu]] as const) {
        expect(maxRelDiff(on.y, x.y), `${k} logp vs ${other}`).toBeLessThan(1e-5);
        expect(maxRelDiff(on.grad, x.grad), `${k} gradient vs ${other}`).toBeLessThan(1e-5);
      }
    }
    // the mask matters: a masked-out position has no gradient, and the sums differ
    expect(maxRelDiff(r.masked[0].y, r.whole[0].y)).toBeGreaterThan(0.05);
    expect(r.masked[2].grad.slice(0, V).every((g) => g === 0)).toBe(true);
  });

  it('takes one dispatch each way and leaves nothing behind', () => {
    console.log('sequence logp forward ×2 + backward dispatches: fused', r.masked[0].dispatches, 'tf ops', r.masked[1].dispatches);
    // two forwards and a backward, plus the weighted sum's four
    expect(r.masked[0].dispatches).toBe(3 + 4);
    expect(r.masked[1].dispatches).toBeGreaterThan(3 * r.masked[0].dispatches);
    for (const xs of Object.values(r)) for (const x of xs) expect(x.leaked).toBe(0);
  });
});
