// The red team on text: greedy character edits of policy samples stay inside the vocabulary and the context, keep the
// base model's log-likelihood at or above the floor (checked by scoring the finds again), never lower the proxy of
// the sample they started from, and leak no tensors.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Rng } from '../../src/core/rng';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { TextLab } from '../../src/core/tasks/text/text_lab';
import { TEXT_CONTEXT, unknownChars } from '../../src/core/tasks/text/vocab';
import { publicAssets } from '../../src/cli/fs_assets';
import { attackText } from '../../src/core/redteam/text_attack';

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
});
