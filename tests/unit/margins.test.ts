// A labeler's strength of preference as TRL's margin: the four levels' margins, simulated strengths from the gold gap,
// a person's strength taken (and a bad one refused) by the Runner, and a seeded reward model that, trained with the
// margins, spreads its rewards further apart on the strongly preferred pairs than the same run without them.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { simulatedMargin, strengthMargin, STRENGTHS } from '../../src/core/feedback/labelers';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function until(cond: () => boolean, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('strength of preference', () => {
  it('maps 1 … 4 (negligibly … much better) to Llama 2\'s margins 0, 1/3, 2/3, 1, and refuses other levels by name', () => {
    expect(STRENGTHS).toEqual(['negligibly better', 'slightly better', 'better', 'much better']);
    expect([1, 2, 3, 4].map(strengthMargin)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(() => strengthMargin(5)).toThrow('a strength of preference is 1 to 4, not 5');
    expect(() => strengthMargin(2.5)).toThrow('not 2.5');
  });

  it('a simulated labeler states level 1 + floor(|Δg| / strength_step), at most 4, on decisive answers only', () => {
    const cfg = { kind: 'simulated' as const, beta: 1, epsilon: 0, tie_margin: 0, skip_prob: 0, weight: 1, length_bias: 0, strength_step: 0.5 };
    // |Δg| 0.2 → level 1 (0); 0.6 → 2 (1/3); 1.2 → 3 (2/3); 5 → 4 (1, capped).
    expect(simulatedMargin(cfg, 1, 0.8, 'a')).toBe(0);
    expect(simulatedMargin(cfg, 0, 0.6, 'b')).toBeCloseTo(1 / 3, 12);
    expect(simulatedMargin(cfg, 1.2, 0, 'b')).toBeCloseTo(2 / 3, 12); // the answer may go against gold; the gap is the strength
    expect(simulatedMargin(cfg, 5, 0, 'a')).toBe(1);
    expect(simulatedMargin(cfg, 5, 0, 'tie')).toBeUndefined();
    expect(simulatedMargin({ ...cfg, strength_step: undefined }, 5, 0, 'a')).toBeUndefined();
  });

  it('a person\'s margin is kept with an A or B answer; refused with a tie or outside 0 … 1', async () => {
    const e = applyOverrides(preset('landscape-human')!, ['schedule.rounds=1', 'schedule.labels_per_round=3', 'optimizer.iterations=0', 'reward_model.steps=1']);
    const runner = await Runner.create(e, { store: new MemoryStore(), runId: 'run', backend: 'cpu' });
    const done = runner.run();
    await until(() => runner.pendingPair?.id === 0);
    expect(runner.submitLabel('tie', 1 / 3)).toBe(false);
    expect(runner.submitLabel('a', 2)).toBe(false);
    expect(runner.submitLabel('up')).toBe(false); // a thumb answers no pair
    expect(runner.submitLabel('a', 1 / 3)).toBe(true);
    await until(() => runner.pendingPair?.id === 1);
    expect(runner.submitLabel('b', 0)).toBe(true);
    await until(() => runner.pendingPair?.id === 2);
    expect(runner.submitLabel('b')).toBe(true);
    await done;
    expect(runner.labels.map((l) => l.margin)).toEqual([1 / 3, undefined, undefined]);
    runner.dispose();
  }, 60_000);
});

describe('the reward model with margins (landscape-hello, cpu, seed 1)', () => {
  it('leads by more on the strongly preferred pairs than the same fit without margins', async () => {
    const fit = async (sets: string[]) => {
      const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=200', 'optimizer.iterations=0', 'reward_model.steps=300', ...sets]);
      const runner = await Runner.create(e, { store: new MemoryStore(), runId: 'run', backend: 'cpu' });
      await runner.run();
      const labels = runner.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
      const { a, b } = await runner.lab.rewardScores(labels);
      runner.dispose();
      return { labels, lead: labels.map((l, i) => (l.answer === 'a' ? a[i] - b[i] : b[i] - a[i])) };
    };
    // The starting policy's samples sit low on the hill: gold gaps of a few hundredths, so strength_step 0.01.
    const withM = await fit(['labelers[0].strength_step=0.01']);
    const without = await fit([]);
    const strong = withM.labels.map((l, i) => i).filter((i) => (withM.labels[i].margin ?? 0) >= 2 / 3);
    expect(strong.length).toBeGreaterThan(10);
    // The same seed draws the same pairs and answers: only the loss differs.
    expect(without.labels.map((l) => l.answer)).toEqual(withM.labels.map((l) => l.answer));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const [m, p] = [mean(strong.map((i) => withM.lead[i])), mean(strong.map((i) => without.lead[i]))];
    expect(m).toBeGreaterThan(p + 0.2);
  }, 120_000);
});
