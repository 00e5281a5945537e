// The runs page's operations on a real store: list, rename, duplicate, delete, snapshots.
import type { OptimizerOf } from '../../src/core/experiment/parse';
import { describe, expect, it } from 'vitest';
import { MemoryStore, keys } from '../../src/core/checkpoint/store';
import { Runner } from '../../src/core/runner';
import { preset } from '../../src/core/experiment/presets';
import { loadCheckpoint, hashRecord, type LatestPointer, type MetricRow } from '../../src/core/checkpoint/record';
import {
  deleteRun,
  deleteSnapshot,
  duplicateRun,
  listRuns,
  overlayRows,
  renameRun,
  restoreSnapshot,
  runMetrics,
  saveSnapshot,
  RunError,
} from '../../src/core/checkpoint/runs';

function tiny(name = 'landscape-hello') {
  const e = preset(name)!;
  e.schedule = { rounds: 2, labels_per_round: 8, checkpoint_every_s: 3600, rollback: false };
  e.reward_model = { ...e.reward_model, hidden: [8], steps: 5 };
  e.optimizer = { ...(e.optimizer as OptimizerOf<'reinforce'>), iterations: 2, batch_size: 16 };
  return e;
}

async function runOf(store: MemoryStore, runId: string, name?: string) {
  const r = await Runner.create(tiny(name), { store, runId, backend: 'cpu' });
  await r.run();
  r.dispose();
}

describe('runs', () => {
  it('lists runs newest first with their figures; rename sticks across later saves', async () => {
    const store = new MemoryStore();
    let t = 1000;
    const r1 = await Runner.create(tiny(), { store, runId: 'one', backend: 'cpu', now: () => (t += 1) });
    await r1.run();
    await runOf(store, 'two', 'landscape-noisy');
    const runs = await listRuns(store);
    expect(runs.map((r) => r.runId).sort()).toEqual(['one', 'two']);
    const one = runs.find((r) => r.runId === 'one')!;
    expect(one.name).toBe('landscape-hello');
    expect(one.position!.stage).toBe('done');
    expect(one.labels).toBe(16);
    expect(one.last!.step).toBe(4);
    expect(one.checkpoints).toBe(3);

    await renameRun(store, 'one', '  my <b>first</b> run  ');
    expect((await listRuns(store)).find((r) => r.runId === 'one')!.name).toBe('my <b>first</b> run');
    await r1.checkpoint(); // a later save keeps the user's name
    expect(((await store.get(keys.latest('one'))) as LatestPointer).name).toBe('my <b>first</b> run');
    r1.dispose();
    await expect(renameRun(store, 'one', '   ')).rejects.toThrow(RunError);
    await expect(renameRun(store, 'nope', 'x')).rejects.toThrow(/no run "nope"/);
  });

  it('duplicate copies the newest checkpoint under a new id; the copy verifies and resumes; delete removes only one run', async () => {
    const store = new MemoryStore();
    await runOf(store, 'one');
    const copyId = await duplicateRun(store, 'one');
    expect(copyId).not.toBe('one');
    const copy = await loadCheckpoint(store, copyId);
    const orig = await loadCheckpoint(store, 'one');
    expect(copy!.notice).toBeUndefined();
    expect(copy!.record.runId).toBe(copyId);
    expect(copy!.record.sha256).toBe(await hashRecord(copy!.record));
    expect(copy!.record.metrics).toEqual(orig!.record.metrics);
    expect(Array.from(copy!.record.models.policy.weights.means.data)).toEqual(Array.from(orig!.record.models.policy.weights.means.data));
    expect((await listRuns(store)).find((r) => r.runId === copyId)!.name).toBe('landscape-hello (copy)');
    expect(await store.get(keys.lastRun)).toBe('one'); // duplicating does not switch the open run

    await saveSnapshot(store, 'one', 'before');
    await deleteRun(store, 'one');
    expect((await store.keys()).filter((k) => k.includes(':run:one:'))).toEqual([]);
    expect(await store.get(keys.lastRun)).toBeUndefined();
    expect((await loadCheckpoint(store, copyId))!.record.metrics).toHaveLength(5);
    expect((await listRuns(store)).map((r) => r.runId)).toEqual([copyId]);
  });

  it('a snapshot survives the rotation of the last checkpoints and restores the run to it', async () => {
    const store = new MemoryStore();
    let t = 1000;
    const r = await Runner.create(tiny(), { store, runId: 'one', backend: 'cpu', now: () => (t += 1) });
    await r.checkpoint();
    const snap = await saveSnapshot(store, 'one', 'untrained');
    expect(snap.position.iteration).toBe(0);
    await r.run(); // many checkpoints: the one the snapshot copied leaves the rotation
    r.dispose();
    expect((await loadCheckpoint(store, 'one'))!.record.position.stage).toBe('done');
    const listed = (await listRuns(store))[0].snapshots;
    expect(listed).toEqual([expect.objectContaining({ n: 0, name: 'untrained' })]);

    await restoreSnapshot(store, 'one', 0);
    const back = await loadCheckpoint(store, 'one');
    expect(back!.record.position).toEqual({ round: 0, stage: 'label', stageStep: 0, iteration: 0 });
    expect(back!.record.metrics).toHaveLength(1);
    const again = await Runner.fromRecord(back!.record, { store, runId: 'one', backend: 'cpu' });
    await again.run(); // and it trains again from there
    expect(again.position.iteration).toBe(4);
    again.dispose();

    await deleteSnapshot(store, 'one', 0);
    expect((await listRuns(store))[0].snapshots).toEqual([]);
    await expect(restoreSnapshot(store, 'one', 0)).rejects.toThrow(/no longer exists/);
  });

  it('a damaged snapshot is refused with the reason and the run is unchanged', async () => {
    const store = new MemoryStore();
    await runOf(store, 'one');
    await saveSnapshot(store, 'one', 's');
    const entry = store.map.get(keys.snapshot('one', 0)) as { record: { rng: number[] } };
    entry.record.rng[0] += 1;
    const before = structuredClone(store.map);
    await expect(restoreSnapshot(store, 'one', 0)).rejects.toThrow(/Snapshot "s" cannot be restored: the checkpoint does not match/);
    expect(store.map).toEqual(before);
    expect(await runMetrics(store, 'one')).toHaveLength(5);
  });

  it('an over-optimization run lists the last RL row (not the best-of-n sweep after it) and the parameters changed from its preset', async () => {
    const store = new MemoryStore();
    await runOf(store, 'oo', 'overopt-landscape');
    await runOf(store, 'hello', 'landscape-hello');
    const metrics = await runMetrics(store, 'oo');
    const rl = metrics.filter((r) => r['overopt/bon'] !== 1);
    expect(metrics.length - rl.length).toBe(9); // the sweep's n = 1 … 256 follow training
    const oo = (await listRuns(store)).find((r) => r.runId === 'oo')!;
    expect(oo.last).toEqual(rl.at(-1));
    expect(oo.last!['gold/mean']).not.toBe(metrics.at(-1)!['gold/mean']);
    // tiny() changed the schedule, the reward model and the optimizer of the preset: each is named with both values
    const byPath = new Map(oo.changes!.map((c) => [c.path, c]));
    expect(byPath.get('schedule.labels_per_round')).toEqual({ path: 'schedule.labels_per_round', value: 8, base: 100 });
    expect(byPath.get('optimizer.iterations')).toEqual({ path: 'optimizer.iterations', value: 2, base: 120 });
    expect(byPath.get('reward_model.hidden[1]')?.value).toBeUndefined(); // a shorter array: the preset's entry is unset here
    expect(byPath.has('description')).toBe(false);
    expect(byPath.has('seed')).toBe(false);
    // held-out pairs behind the accuracy are in the rows (8 labels a round, holdout 1 in k)
    expect(rl.at(-1)!['rm/heldout']).toBeGreaterThan(0);
    expect(Number.isNaN(rl[0]['rm/heldout'])).toBe(true); // before the first fit
  });

  it('the overlay keeps to the RL curves: best-of-n rows at the last step do not overwrite it', () => {
    const a: MetricRow[] = [
      { step: 0, 'gold/mean': 0.1 },
      { step: 1, 'gold/mean': 0.3 },
      { step: 1, 'gold/mean': 0.9, 'bon/n': 4, 'overopt/bon': 1 },
    ];
    const b = [{ step: 1, 'gold/mean': 0.2 }, { step: 2, 'gold/mean': 0.25 }];
    expect(overlayRows(a, b)).toEqual([
      { step: 0, 'A:gold/mean': 0.1 },
      { step: 1, 'A:gold/mean': 0.3, 'B:gold/mean': 0.2 },
      { step: 2, 'B:gold/mean': 0.25 },
    ]);
  });
});
