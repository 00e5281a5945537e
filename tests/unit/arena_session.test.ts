// The arena's session on pictures: two pixels runs made here with the Runner (wasm, tiny settings), restored from
// their checkpoints; blind pairs carry the task kind, the class asked for and one picture of each run, the same pair
// again for the same seed and number, and no tensor left behind. Mixing tasks, other classes, and tasks whose
// samples are not judged blind at a glance are refused with a message naming the run and what to do.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { publicAssets } from '../../src/cli/fs_assets';
import { ArenaSession } from '../../src/core/arena_session';
import { parsePicture, PIXELS } from '../../src/core/tasks/pixels/picture';

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
});

const CLASSES = ['a face', 'a tree'];

/** Stores a tiny run of `presetName` as `runId` (its last checkpoint is what the arena restores). */
async function run(store: MemoryStore, presetName: string, runId: string, overrides: string[]): Promise<void> {
  const e = { ...applyOverrides(preset(presetName)!, ['schedule.rounds=1', 'schedule.labels_per_round=8', ...overrides]), name: runId };
  const r = await Runner.create(e, { store, runId, backend: 'wasm', assets: publicAssets });
  await r.run();
  r.dispose();
}

const pixelsTiny = (iterations: number, classes = CLASSES) => [
  `task.prompts=${JSON.stringify(classes)}`,
  'reward_model.steps=3',
  'reward_model.batch_size=4',
  `optimizer.iterations=${iterations}`,
  'optimizer.batch_size=4',
  'optimizer.minibatches=1',
  'optimizer.epochs=1',
];

describe('the arena on pictures', () => {
  const store = new MemoryStore();
  beforeAll(async () => {
    await run(store, 'pixels-symmetry', 'base', pixelsTiny(0));
    await run(store, 'pixels-symmetry', 'ppo', pixelsTiny(2));
    await run(store, 'pixels-symmetry', 'trees', pixelsTiny(0, ['a tree']));
    await run(store, 'text-sentiment-dpo', 'text', ['optimizer.iterations=0', 'optimizer.eval_samples=4', 'optimizer.batch_size=4']);
    await run(store, 'landscape-hello', 'points', ['optimizer.iterations=1']);
  }, 240_000);

  it('draws blind pairs of two pixels runs: the task kind, a class asked for, one picture of each, sides shuffled', async () => {
    const before = tf.memory().numTensors;
    const arena = await ArenaSession.open(store, [{ runId: 'base', name: 'base' }, { runId: 'ppo', name: 'ppo' }], publicAssets);
    expect(arena.kind).toBe('pixels');
    expect(arena.players.map((p) => p.name)).toEqual(['base', 'ppo']);
    const afterOpen = tf.memory().numTensors;
    const lefts = new Set<number>();
    for (let k = 0; k < 8; k++) {
      const p = await arena.pair(7, k);
      expect(tf.memory().numTensors).toBe(afterOpen); // sampling leaves no tensor behind
      expect(p.kind).toBe('pixels');
      expect(CLASSES).toContain(p.prompt);
      expect(new Set([p.i, p.j])).toEqual(new Set([0, 1]));
      expect([p.i, p.j]).toContain(p.leftPlayer);
      for (const picture of [p.left, p.right]) {
        expect(picture).toMatch(new RegExp(`^[0-7]{${PIXELS}}$`));
        expect(() => parsePicture(picture)).not.toThrow();
      }
      expect(await arena.pair(7, k)).toEqual(p); // the same comparison again: a reload shows what was voted on
      lefts.add(p.leftPlayer);
    }
    expect(lefts).toEqual(new Set([0, 1])); // each run is shown on the left some of the time
    arena.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('shows the same picture on both sides when both runs hold the same weights (one generator state for both)', async () => {
    const arena = await ArenaSession.open(store, [{ runId: 'base', name: 'one' }, { runId: 'base', name: 'two' }], publicAssets);
    for (let k = 0; k < 3; k++) {
      const p = await arena.pair(3, k);
      expect(p.left).toBe(p.right);
    }
    arena.dispose();
  });

  it('refuses mixing a pixels run with a text run, naming both and what to do', async () => {
    const before = tf.memory().numTensors;
    await expect(ArenaSession.open(store, [{ runId: 'base', name: 'base' }, { runId: 'text', name: 'words' }], publicAssets)).rejects.toThrow(
      /"words" is a text run and "base" a pixels run: an arena compares runs of one task\. Tick runs of one task only\./,
    );
    expect(tf.memory().numTensors).toBe(before); // the lab restored first is let go
  });

  it('refuses pixels runs of other classes', async () => {
    await expect(ArenaSession.open(store, [{ runId: 'base', name: 'base' }, { runId: 'trees', name: 'trees' }], publicAssets)).rejects.toThrow(
      /"trees" has other prompts \(task\.prompts: for pictures, the classes asked for\) than "base"/,
    );
  });

  it('refuses a landscape run with the reason: a point is not judged blind at a glance', async () => {
    await expect(ArenaSession.open(store, [{ runId: 'points', name: 'hill' }, { runId: 'base', name: 'base' }], publicAssets)).rejects.toThrow(
      /"hill" is a landscape run, and a point of the landscape is judged by where it lies, not blind at a glance: the arena compares text runs or pixels runs\. Untick it\./,
    );
  });
});
