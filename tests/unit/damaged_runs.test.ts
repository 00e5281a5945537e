// One damaged `latest` pointer does not hide the other runs (issue: nothing lost, nothing crashes, case 6). On
// e1d67a7 a pointer with `kept: null` or a string made the Runs page list 0 runs with "Cannot read properties of null
// (reading 'length')", and the damaged run could not be deleted.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { MemoryStore, keys } from '../../src/core/checkpoint/store';
import { loadCheckpoint } from '../../src/core/checkpoint/record';
import { deleteRun, listRuns, renameRun } from '../../src/core/checkpoint/runs';
import { Runner } from '../../src/core/runner';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function storeWithTwoRuns(): Promise<MemoryStore> {
  const store = new MemoryStore();
  const e = applyOverrides(preset('landscape-hello')!, ['schedule.rounds=1', 'schedule.labels_per_round=4', 'reward_model.steps=2', 'optimizer.iterations=1']);
  for (const runId of ['good', 'bad']) {
    const r = await Runner.create(e, { store, runId, backend: 'cpu' });
    await r.run();
    r.dispose();
  }
  return store;
}

describe('a damaged run in the store', () => {
  for (const [what, pointer] of [['kept: null', { n: 0, kept: null, name: 'x', updatedAt: 1 }], ['a string', 'oops'], ['null', null]] as const) {
    it(`with a pointer of ${what}: the other run is listed, the damaged one is listed as damaged and can be deleted`, async () => {
      const store = await storeWithTwoRuns();
      await store.setMany([[keys.latest('bad'), pointer]]);
      const runs = await listRuns(store);
      expect(runs.map((r) => r.runId).sort()).toEqual(['bad', 'good']);
      expect(runs.find((r) => r.runId === 'good')!.damaged).toBeUndefined();
      expect(runs.find((r) => r.runId === 'bad')!.damaged).toMatch(/list of checkpoints is damaged/);
      await expect(loadCheckpoint(store, 'bad')).rejects.toThrow(/cannot be opened: its list of checkpoints is damaged.*delete it/);
      await expect(renameRun(store, 'bad', 'new')).rejects.toThrow(/damaged .* can only be deleted/);
      await deleteRun(store, 'bad');
      expect((await listRuns(store)).map((r) => r.runId)).toEqual(['good']);
    });
  }

  it('with its newest checkpoint missing: listed as damaged, with its name', async () => {
    const store = await storeWithTwoRuns();
    const pointer = (await store.get(keys.latest('bad'))) as { n: number };
    await store.delMany([keys.checkpoint('bad', pointer.n)]);
    const bad = (await listRuns(store)).find((r) => r.runId === 'bad')!;
    expect(bad.damaged).toMatch(/newest checkpoint \(#\d+\) is missing/);
  });
});
