// The red team on control: a perturbed clip is one the environment replays (its gold is the environment's own
// reward); a hand-built reward model with a known hole (it pays for the fallen pose) is found by the attack within
// its bounds, and a model without the hole gives a success rate of exactly 0; the control lab as the attack's target
// and the loop on it (labels added, no tensor leaks).
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { CartPole } from '../../src/core/tasks/control/envs';
import { replaySegment, runEpisodes, segmentAt, makeEnv } from '../../src/core/tasks/control/episodes';
import { ControlLab } from '../../src/core/tasks/control/control_lab';
import { attackSegments, possibleStart, segmentLoop, type SegmentTarget } from '../../src/core/redteam/segment_attack';
import { closeLoopOn } from '../../src/core/redteam/attack';
import type { Label, Segment } from '../../src/core/feedback/labelers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const K = 50;

/** A PD controller that keeps the pole up: its clips of K steps from random starts never fall. */
function balancedClips(n: number, rng: Rng): Segment[] {
  return Array.from({ length: n }, () => {
    const env = new CartPole();
    let obs = env.reset(rng);
    const start = Array.from(obs);
    const act: number[] = [];
    for (let t = 0; t < K; t++) {
      const a = obs[2] + 0.3 * obs[3] + 0.01 * obs[0] + 0.1 * obs[1] > 0 ? 1 : 0;
      act.push(a);
      obs = env.step(a).obs;
    }
    return replaySegment('cartpole', start, act, K);
  });
}

/**
 * Per step: 1 for a step the pole is up (the gold reward), and with the hole, 3 for each step of the held fallen pose
 * plus 5·|θ| (a lean pays). Without the hole the proxy is the gold itself.
 */
function handBuilt(hole: number): SegmentTarget {
  return {
    probeSegments: async (segs) =>
      Float32Array.from(segs, (s) => {
        let r = 0;
        for (let t = 0; t < K; t++) r += (s.act[t] >= 0 ? 1 : 3 * hole) + hole * 5 * Math.abs(s.obs[4 * t + 2]);
        return r;
      }),
    policySegments: async (n, rng) => balancedClips(n, rng),
  };
}

const opts = { budget: 16, seed: 1, steps: 20, candidates: 8, policySamples: 64 };

describe('control attack', () => {
  it('replaying a recorded clip from its start with its actions gives the clip back', () => {
    // A random policy falls often: clips with and without a fall.
    const rng = new Rng(4);
    const env = makeEnv('cartpole');
    const streams = runEpisodes('cartpole', { inputs: 4, hidden: [], activation: 'tanh', input_scale: 1, outputs: 2 }, { 'pi.w0': { shape: [4, 2], data: new Float32Array(8) }, 'pi.b0': { shape: [2], data: new Float32Array(2) } }, 1, 300, rng);
    let falls = 0;
    for (let t = 0; t + K < 300; t += 25) {
      const s = segmentAt(env, 'cartpole', streams[0], t, K);
      if (!s) continue;
      const r = replaySegment('cartpole', s.obs.slice(0, 4), s.act.map((a) => (a === -1 ? 0 : a)), K);
      expect(r.reward).toEqual(s.reward);
      expect(r.act).toEqual(s.act);
      r.obs.forEach((x, i) => expect(x).toBeCloseTo(s.obs[i], 4));
      if (s.reward.includes(0)) falls += 1;
    }
    expect(falls).toBeGreaterThan(0);
  });

  it('finds the hole: clips that fall, inside the bounds, each one the environment replays', async () => {
    const a = await attackSegments(handBuilt(1), opts);
    expect(a.policy.meanGold).toBe(K); // the controller's clips never fall
    expect(a.thresholds.goldMedian).toBe(K);
    expect(a.successRate).toBeGreaterThanOrEqual(0.75);
    expect(a.meanGold).toBeLessThan(K / 2);
    const sigma = [0, 1, 2, 3].map((d) => {
      const xs = balancedClips(64, new Rng(1)).flatMap((s) => Array.from({ length: K }, (_, t) => s.obs[4 * t + d]));
      const m = xs.reduce((p, q) => p + q, 0) / xs.length;
      return Math.sqrt(xs.reduce((p, q) => p + (q - m) ** 2, 0) / xs.length);
    });
    for (const e of a.exploits) {
      expect(e.shift).toBeLessThanOrEqual(0.5 + 1e-9);
      expect(e.changed).toBeLessThanOrEqual(K / 10);
      expect(possibleStart('cartpole', e.segment.obs.slice(0, 4))).toBe(true);
      for (let d = 0; d < 4; d++) expect(Math.abs(e.segment.obs[d] - e.start.obs[d])).toBeLessThanOrEqual(0.5 * sigma[d] + 1e-6);
      // honest: the environment, replayed from the find's start under its actions, gives the same clip and gold
      const again = replaySegment('cartpole', e.segment.obs.slice(0, 4), e.segment.act.map((x) => (x === -1 ? 0 : x)), K);
      expect(again.reward).toEqual(e.segment.reward);
      expect(e.gold).toBe(e.segment.reward.reduce((p, q) => p + q, 0));
      if (e.success) expect(e.segment.reward.at(-1)).toBe(0); // a success has fallen
    }
  });

  it('without the hole nothing is found: the proxy is the gold, so the rate is exactly 0', async () => {
    const a = await attackSegments(handBuilt(0), opts);
    expect(a.successRate).toBe(0);
    for (const e of a.exploits) expect(e.proxy).toBe(e.gold);
  });

  it('the control lab is a target: its proxy sums the per-step reward, the loop labels the finds, no tensor leaks', async () => {
    const e = applyOverrides(preset('control-cartpole')!, ['task.rollout_steps=256', 'reward_model.hidden=[8]', 'policy.hidden=[16]', 'task.segment_steps=20']);
    const lab = ControlLab.create(e, new Rng(3));
    await lab.normalizeReward();
    const before = tf.memory().numTensors;
    const labels: Label[] = [];
    const rounds = await closeLoopOn(lab, e, labels, { seed: 2, rounds: 1 }, segmentLoop(lab, { budget: 6, steps: 3, candidates: 4, policySamples: 32 }));
    expect(tf.memory().numTensors).toBe(before);
    expect(rounds.map((r) => r.round)).toEqual([0, 1]);
    expect(labels).toHaveLength(6);
    expect(rounds[1].labelsSpent).toBe(6);
    const finds = rounds[1].attack.exploits;
    const proxy = await lab.probeSegments(finds.map((f) => f.segment));
    finds.forEach((f, i) => expect(f.proxy).toBeCloseTo(proxy[i], 4));
    // the proxy ranks as the search says: each find scores at least its unperturbed clip
    const starts = await lab.probeSegments(finds.map((f) => f.start));
    finds.forEach((f, i) => expect(f.proxy).toBeGreaterThanOrEqual(starts[i] - 1e-3));
    lab.dispose();
  }, 60_000);
});
