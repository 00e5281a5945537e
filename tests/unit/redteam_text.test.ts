// The red team on text: greedy character edits of policy samples stay inside the vocabulary and the context, keep the
// base model's log-likelihood at or above the floor (checked by scoring the finds again), never lower the proxy of
// the sample they started from, and leak no tensors. The loop pairs each find with a policy completion of its own
// prompt, the labels carry that prompt, and the refit reward model orders the new labels as the labeler did.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { TextLab } from '../../src/core/tasks/text/text_lab';
import { TEXT_CONTEXT, unknownChars } from '../../src/core/tasks/text/vocab';
import { publicAssets } from '../../src/cli/fs_assets';
import { attackText, textLoop } from '../../src/core/redteam/text_attack';
import { closeLoopOn } from '../../src/core/redteam/attack';
import type { Label } from '../../src/core/feedback/labelers';

// The wasm backend, as the CLI's text runs use: the cpu backend is ten times slower on a GPT.
beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
});

describe('attacking the text reward model', () => {
  it('finds stay in the vocabulary and above the likelihood floor, and raise the proxy', async () => {
    const e = applyOverrides(preset('text-sentiment-ppo')!, ['task.max_new_tokens=12']);
    const lab = await TextLab.create(e, new Rng(2), publicAssets);
    await lab.normalizeReward();
    const opts = { budget: 8, seed: 3, steps: 10, candidates: 12, policySamples: 64 };
    await attackText(lab, { ...opts, steps: 1 }); // warm up kernels
    const before = tf.memory().numTensors;
    const r = await attackText(lab, opts);
    expect(tf.memory().numTensors).toBe(before);
    expect(r.exploits.length).toBeGreaterThan(0);
    const again = await lab.probeText(r.exploits.map((x) => [x.prompt, x.completion]));
    const starts = await lab.probeText(r.exploits.map((x) => [x.prompt, x.start]));
    let improved = 0;
    r.exploits.forEach((x, i) => {
      expect(unknownChars(x.completion)).toEqual([]);
      expect(x.completion.slice(0, -1)).not.toContain('\n'); // a line break only at the end, where it ends the completion
      expect(1 + x.prompt.length + x.completion.length).toBeLessThanOrEqual(TEXT_CONTEXT);
      expect(again.logp[i]).toBeGreaterThanOrEqual(r.floor - 1e-4);
      expect(again.proxy[i]).toBeCloseTo(x.proxy, 3);
      expect(again.gold[i]).toBeCloseTo(x.gold, 6);
      expect(x.proxy).toBeGreaterThanOrEqual(starts.proxy[i] - 1e-4);
      if (x.completion !== x.start) improved += 1;
      expect(x.success).toBe(x.proxy >= r.thresholds.proxyTopDecile && x.gold < r.thresholds.goldMedian);
    });
    expect(improved).toBeGreaterThan(0);
    lab.dispose();
  }, 120_000);

  it('the loop: each find against a policy completion of its prompt, labeled with that prompt; the refit learns them', async () => {
    const e = applyOverrides(preset('text-sentiment-ppo')!, ['task.max_new_tokens=12', 'reward_model.steps=40']);
    const lab = await TextLab.create(e, new Rng(4), publicAssets);
    await lab.normalizeReward();
    const loop = textLoop(lab, { budget: 6, steps: 2, candidates: 8, policySamples: 32 });
    await closeLoopOn(lab, e, [], { seed: 1, rounds: 1 }, loop); // warm up kernels and the optimizer's moments
    const labels: Label[] = [];
    const before = tf.memory().numTensors;
    const rounds = await closeLoopOn(lab, e, labels, { seed: 5, rounds: 1 }, loop);
    expect(tf.memory().numTensors).toBe(before);
    expect(rounds.map((r) => r.round)).toEqual([0, 1]);
    const finds = rounds[0].attack.exploits;
    expect(finds.length).toBeGreaterThan(0);
    expect(labels).toHaveLength(finds.length);
    expect(rounds[1].labelsSpent).toBe(finds.length); // the preset's labeler never skips
    labels.forEach((l, i) => {
      expect(l.prompt).toBe(finds[i].prompt);
      expect(l.a).toBe(finds[i].completion);
      expect(unknownChars(l.b as string)).toEqual([]);
      expect(1 + l.prompt!.length + (l.b as string).length).toBeLessThanOrEqual(TEXT_CONTEXT);
      expect(l.round).toBe(e.schedule.rounds);
    });
    // Refit on the new labels alone (nothing held out of 6): the reward model orders the decisive ones as answered.
    const decisive = labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    expect(decisive.length).toBeGreaterThan(0);
    const { a, b } = await lab.rewardScores(decisive);
    const agree = decisive.filter((l, i) => (a[i] > b[i]) === (l.answer === 'a')).length;
    expect(agree / decisive.length).toBeGreaterThanOrEqual(0.75);
    await expect(lab.completionsOf(['not a prompt of this run'], new Rng(1))).rejects.toThrow(/is not one of this run's prompts/);
    lab.dispose();
  }, 180_000);
});
