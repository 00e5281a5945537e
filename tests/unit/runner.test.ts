// The Runner on a small landscape experiment: no tensor leaks, a run to the end, stop → restore → finish with
// the same numbers, determinism from the seed, and a human labeler's turn-taking.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner, type RunnerHooks } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { loadCheckpoint, type MetricRow } from '../../src/core/checkpoint/record';
import { applyOverrides, type Experiment } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const ROUNDS = 2;
const ITERATIONS = 5;
const small = (more: string[] = []): Experiment =>
  applyOverrides(preset('landscape-hello')!, [
    `schedule.rounds=${ROUNDS}`,
    'schedule.labels_per_round=30',
    'reward_model.steps=30',
    `optimizer.iterations=${ITERATIONS}`,
    ...more,
  ]);

async function create(e: Experiment, hooks: RunnerHooks = {}, store = new MemoryStore()) {
  const runner = await Runner.create(e, { store, runId: 'run', backend: 'cpu', hooks });
  return { runner, store };
}

const series = (rows: MetricRow[], key: string) => rows.map((r) => r[key]);

/** Resolves when cond() holds, checking after every macrotask; fails after `ms`. */
async function until(cond: () => boolean, ms = 20000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe('Runner', () => {
  it('runs to the end: one metrics row per iteration with the documented keys', async () => {
    const { runner, store } = await create(small());
    await runner.run();
    expect(runner.status).toBe('done');
    expect(runner.position).toMatchObject({ stage: 'done', round: ROUNDS, iteration: ROUNDS * ITERATIONS });
    // the untrained policy's row (step 0), then one per iteration
    expect(runner.metrics).toHaveLength(1 + ROUNDS * ITERATIONS);
    expect(series(runner.metrics, 'step')).toEqual(Array.from({ length: 1 + ROUNDS * ITERATIONS }, (_, i) => i));
    for (const row of runner.metrics) {
      for (const key of ['step', 'gold/mean', 'proxy/mean', 'objective/kl', 'rm/accuracy', 'labels/count']) {
        expect(row).toHaveProperty([key]);
        expect(typeof row[key]).toBe('number');
      }
    }
    // 30 simulated labels a round (the preset's labeler never skips)
    expect(runner.labels).toHaveLength(30 * ROUNDS);
    expect(runner.metrics.at(-1)!['labels/count']).toBe(30 * ROUNDS);
    expect(runner.labels.every((l) => l.labeler === 'simulated:0')).toBe(true);
    expect(series(runner.metrics, 'round')).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    // a reward model trained on a nearly noiseless labeler orders held-out pairs better than chance
    expect(runner.metrics.at(-1)!['rm/accuracy']).toBeGreaterThan(0.6);
    // step 0 has no KL by definition; afterwards k3 ≥ 0
    expect(runner.metrics[0]['objective/kl']).toBe(0);
    for (const row of runner.metrics.slice(1)) expect(row['objective/kl_k3']).toBeGreaterThanOrEqual(0);
    // the final checkpoint says the run is done
    const loaded = await loadCheckpoint(store, 'run');
    expect(loaded!.record.position.stage).toBe('done');
    expect(loaded!.record.metrics).toHaveLength(runner.metrics.length);
    runner.dispose();
  });

  it('keeps tf.memory().numTensors constant across policy iterations and reward-model steps', async () => {
    const atRow: number[] = [];
    const atRewardStep: number[] = [];
    let runner: Runner | undefined;
    const hooks: RunnerHooks = {
      onMetrics: () => atRow.push(tf.memory().numTensors),
      onProgress: () => {
        if (runner?.position.stage === 'reward' && runner.position.stageStep > 0) atRewardStep.push(tf.memory().numTensors);
      },
    };
    ({ runner } = await create(small(), hooks));
    await runner.run();
    expect(atRow).toHaveLength(1 + ROUNDS * ITERATIONS);
    expect(new Set(atRow).size).toBe(1);
    expect(atRewardStep.length).toBeGreaterThanOrEqual(30 * ROUNDS);
    expect(new Set(atRewardStep)).toEqual(new Set([atRow[0]]));
    runner.dispose();
  });

  // The reward-model fit reads its loss back (and so knows its count is of finished steps) every step where steps are
  // slow, and every 25th, as the loss checks need, where they are fast; the clock decides (runner.ts SYNC_SECONDS).
  it.each([
    ['slow steps (1 s each): every step', 1000, Array.from({ length: 30 }, (_, i) => i)],
    ['fast steps (no time passes): every 25th and the last', 0, [0, 25, 29]],
  ] as const)('reads the reward model\'s loss on %s', async (_, msPerStep, expected) => {
    let clock = 0;
    const e = small(['schedule.rounds=1']);
    const runner = await Runner.create(e, { store: new MemoryStore(), runId: 'run', backend: 'cpu', now: () => clock });
    const reads: number[] = [];
    const step = runner.lab.rewardStep.bind(runner.lab);
    runner.lab.rewardStep = (batch, y) => {
      clock += msPerStep;
      const loss = step(batch, y);
      const at = runner.position.stageStep;
      const data = loss.data.bind(loss);
      loss.data = (() => (reads.push(at), data())) as typeof loss.data;
      return loss;
    };
    await runner.run();
    expect(runner.status).toBe('done');
    expect(reads).toEqual(expected);
    runner.dispose();
  });

  // Runner.create makes tf.variables from fresh tensors (makeParams, Adam's moments); dispose() must free all of
  // them, or every new run in a tab leaves its whole initial model and optimizer state behind on the GPU.
  it('dispose() frees every tensor the runner made', async () => {
    const before = tf.memory().numTensors;
    const { runner } = await create(small());
    runner.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives identical metrics for the same seed and different ones for another', async () => {
    const a = await create(small());
    const b = await create(small());
    const c = await create(small(['seed=2']));
    for (const { runner } of [a, b, c]) await runner.run();
    expect(series(b.runner.metrics, 'gold/mean')).toEqual(series(a.runner.metrics, 'gold/mean'));
    expect(series(b.runner.metrics, 'proxy/mean')).toEqual(series(a.runner.metrics, 'proxy/mean'));
    expect(b.runner.labels.map((l) => l.answer)).toEqual(a.runner.labels.map((l) => l.answer));
    expect(series(c.runner.metrics, 'gold/mean')).not.toEqual(series(a.runner.metrics, 'gold/mean'));
    for (const { runner } of [a, b, c]) runner.dispose();
  });

  it('stopped in the policy stage, restores from its store and finishes exactly as an uninterrupted run', async () => {
    const whole = await create(small());
    await whole.runner.run();

    let runner: Runner | undefined;
    const { store } = await create(small(), {
      onMetrics: (row) => {
        if (row.step === 3) runner!.stop();
      },
    }).then((x) => ((runner = x.runner), x));
    await runner!.run();
    expect(runner!.status).toBe('stopped');
    expect(runner!.position).toMatchObject({ round: 0, stage: 'policy', iteration: 3 });
    runner!.dispose();

    const restored = await Runner.restore(store, 'run', { backend: 'cpu' });
    expect(restored).not.toBeNull();
    expect(restored!.notice).toBeUndefined();
    const r2 = restored!.runner;
    expect(r2.status).toBe('paused');
    expect(r2.position).toMatchObject({ round: 0, stage: 'policy', iteration: 3 });
    await r2.run();
    expect(r2.status).toBe('done');
    expect(r2.position.iteration).toBe(ROUNDS * ITERATIONS);
    expect(r2.metrics).toHaveLength(1 + ROUNDS * ITERATIONS);
    // weights, optimizer state and generator state were all restored: the same numbers as without the stop
    expect(series(r2.metrics, 'gold/mean')).toEqual(series(whole.runner.metrics, 'gold/mean'));
    expect(series(r2.metrics, 'objective/kl')).toEqual(series(whole.runner.metrics, 'objective/kl'));
    r2.dispose();
    whole.runner.dispose();
  });

  it('stopped in the middle of fitting the reward model, restores and finishes exactly as an uninterrupted run', async () => {
    const whole = await create(small());
    await whole.runner.run();

    let runner: Runner | undefined;
    const hooks: RunnerHooks = {
      onProgress: () => {
        if (runner?.position.round === 1 && runner.position.stage === 'reward' && runner.position.stageStep === 12) runner.stop();
      },
    };
    const store = new MemoryStore();
    ({ runner } = await create(small(), hooks, store));
    await runner.run();
    expect(runner.status).toBe('stopped');
    expect(runner.position).toMatchObject({ round: 1, stage: 'reward', stageStep: 12 });
    runner.dispose();

    const r2 = (await Runner.restore(store, 'run', { backend: 'cpu' }))!.runner;
    await r2.run();
    expect(r2.status).toBe('done');
    expect(series(r2.metrics, 'gold/mean')).toEqual(series(whole.runner.metrics, 'gold/mean'));
    expect(series(r2.metrics, 'rm/accuracy')).toEqual(series(whole.runner.metrics, 'rm/accuracy'));
    r2.dispose();
    whole.runner.dispose();
  });

  it('pauses with a checkpoint and resumes to the end', async () => {
    let runner: Runner | undefined;
    let checkpoints = 0;
    const hooks: RunnerHooks = {
      onMetrics: (row) => {
        if (row.step === 2) runner!.pause();
      },
      onCheckpoint: () => (checkpoints += 1),
    };
    ({ runner } = await create(small(), hooks));
    const done = runner.run();
    await until(() => runner!.status === 'paused');
    const atPause = checkpoints;
    expect(atPause).toBeGreaterThan(0);
    expect(runner.position.iteration).toBe(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(runner.position.iteration).toBe(2); // nothing moves while paused
    runner.resume();
    await done;
    expect(runner.status).toBe('done');
    expect(runner.metrics).toHaveLength(1 + ROUNDS * ITERATIONS);
    runner.dispose();
  });

  describe('with a human labeler', () => {
    const human = () => small(['labelers=[{"kind":"human"}]']);

    it('waits for each answer, records it, and finishLabeling ends the stage', async () => {
      const { runner, store } = await create(human());
      const done = runner.run();
      await until(() => runner.status === 'waiting-for-labels');
      const first = runner.pendingPair!;
      expect(first).not.toBeNull();
      expect(first.id).toBe(0);
      expect(runner.labels).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 20));
      expect(runner.pendingPair).toBe(first); // still waiting, same pair

      expect(runner.submitLabel('b')).toBe(true);
      expect(runner.labels).toHaveLength(1);
      expect(runner.labels[0]).toMatchObject({ id: 0, a: first.a, b: first.b, answer: 'b', labeler: 'human', round: 0 });
      await until(() => runner.pendingPair !== null && runner.pendingPair.id === 1);
      expect(runner.status).toBe('waiting-for-labels');
      expect(runner.position).toMatchObject({ stage: 'label', stageStep: 1 });
      // the label was checkpointed at once
      expect((await loadCheckpoint(store, 'run'))!.record.labels).toHaveLength(1);

      expect(runner.submitLabel('tie')).toBe(true);
      await until(() => runner.pendingPair?.id === 2);
      runner.finishLabeling();
      // round 0 ends its labeling with the two answers, fits, optimizes, and round 1 asks again
      await until(() => runner.position.round === 1 && runner.status === 'waiting-for-labels', 60000);
      expect(runner.labels.map((l) => l.answer)).toEqual(['b', 'tie']);
      expect(runner.position.iteration).toBe(ITERATIONS);
      expect(runner.submitLabel('a')).toBe(true);
      expect(runner.submitLabel('a')).toBe(false); // nothing pending until the next pair is drawn
      runner.stop();
      await done;
      expect(runner.status).toBe('stopped');
      expect(runner.pendingPair).toBeNull();
      expect(runner.labels.map((l) => [l.answer, l.round])).toEqual([
        ['b', 0],
        ['tie', 0],
        ['a', 1],
      ]);
      runner.dispose();
    });

    // A class's items: every student who opens one link (one experiment, one seed) is shown the same pairs in the
    // first round whatever they answer, so their answers can be compared item by item (the Class page's agreement).
    it('two students of one link see the same first-round pairs whatever they answer', async () => {
      const shown: string[][] = [];
      for (const answers of [['a', 'a', 'a', 'a', 'a', 'a'], ['b', 'tie', 'skip', 'a', 'b', 'b']] as const) {
        const { runner } = await create(human());
        const done = runner.run();
        const pairs: string[] = [];
        for (const [k, answer] of answers.entries()) {
          await until(() => runner.pendingPair?.id === k);
          pairs.push(JSON.stringify([runner.pendingPair!.a, runner.pendingPair!.b]));
          runner.submitLabel(answer);
        }
        runner.stop();
        await done;
        runner.dispose();
        shown.push(pairs);
      }
      expect(new Set(shown[0]).size).toBe(6);
      expect(shown[1]).toEqual(shown[0]);
    });

    // "Ends the labeling stage early ... once at least one pair is labeled": before the first answer of a round
    // the request cannot end the stage, and the pair on screen must stay (not be redrawn over and over).
    it('finishLabeling before any answer keeps waiting on the same pair', async () => {
      let runner: Runner | undefined;
      let progress = 0;
      const hooks: RunnerHooks = {
        onProgress: () => {
          progress += 1;
          if (progress > 5000) runner?.stop(); // a safety stop so a spinning loop fails the test instead of hanging it
        },
      };
      ({ runner } = await create(human(), hooks));
      const done = runner.run();
      await until(() => runner!.status === 'waiting-for-labels');
      const shown = runner.pendingPair;
      const before = progress;
      runner.finishLabeling();
      await new Promise((r) => setTimeout(r, 50));
      const spins = progress - before;
      const stillShown = runner.pendingPair;
      runner.stop();
      await done;
      runner.dispose();
      expect(spins).toBeLessThan(10);
      expect(stillShown).toEqual(shown);
      expect(runner.labels).toHaveLength(0);
    });
  });
});
