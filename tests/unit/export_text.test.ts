// Export and import of a text run: preferences.jsonl holds the prompt and the two completions, the Reward Report
// describes the GPT, PPO and the completions the reward model overrates, and the bundle imports back exactly.
import { beforeAll, describe, expect, it } from 'vitest';
import { strFromU8, unzipSync } from 'fflate';
import { tf } from '../../src/core/tf';
import { Runner } from '../../src/core/runner';
import { MemoryStore } from '../../src/core/checkpoint/store';
import { applyOverrides } from '../../src/core/experiment/parse';
import { preset } from '../../src/core/experiment/presets';
import { loadCheckpoint, type CheckpointRecord } from '../../src/core/checkpoint/record';
import { buildBundle } from '../../src/core/checkpoint/export';
import { importBundle, readPreferences } from '../../src/core/checkpoint/import';
import { readSafetensors } from '../../src/core/checkpoint/safetensors';
import { publicAssets } from '../../src/cli/fs_assets';
import { encodeLink } from '../../src/core/share/link';

let record: CheckpointRecord;
let files: Record<string, Uint8Array>;

beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend('wasm');
  await tf.ready();
  const e = applyOverrides(preset('text-sentiment-ppo')!, [
    'schedule.rounds=1', 'schedule.labels_per_round=10', 'reward_model.steps=4', 'reward_model.batch_size=4',
    'task.max_new_tokens=10', 'optimizer.batch_size=4', 'optimizer.minibatches=2', 'optimizer.iterations=2',
  ]);
  const store = new MemoryStore();
  const r = await Runner.create(e, { store, runId: 'text', backend: 'wasm', assets: publicAssets });
  await r.run();
  r.dispose();
  record = (await loadCheckpoint(store, 'text'))!.record;
  files = unzipSync(buildBundle(record, 'text run', Date.UTC(2026, 10, 23)));
}, 240_000);

describe('export of a text run', () => {
  it('preferences.jsonl: prompt, chosen and rejected completions as text, in TRL layout', () => {
    const lines = strFromU8(files['preferences.jsonl']).trim().split('\n').map((l) => JSON.parse(l));
    const decisive = record.labels.filter((l) => l.answer === 'a' || l.answer === 'b');
    expect(decisive.length).toBeGreaterThan(0);
    expect(lines).toHaveLength(decisive.length);
    const l0 = decisive[0];
    expect(lines[0]).toMatchObject({
      prompt: l0.prompt,
      chosen: l0.answer === 'a' ? l0.a : l0.b,
      rejected: l0.answer === 'a' ? l0.b : l0.a,
      labeler: 'simulated:0',
    });
    expect(record.experiment.task.kind === 'text' && record.experiment.task.prompts).toContain(lines[0].prompt);
    // and read back as text preferences, not landscape points
    const back = readPreferences(files['preferences.jsonl']);
    expect(back.summary.pairs).toBe(decisive.length);
    expect(back.labels).toBeNull();
  });

  it('the GPT weights as exact safetensors; the Reward Report speaks of the text run', () => {
    const st = readSafetensors(files['models/reward_model.safetensors']);
    for (const [k, w] of Object.entries(record.models.reward_model.weights)) {
      expect(new Uint8Array(st.tensors[k].data.buffer)).toEqual(new Uint8Array(w.data.buffer));
    }
    const report = strFromU8(files['REWARD_REPORT.md']);
    expect(report).toContain('- Task: `text`, gold reward `{"kind":"sentiment"}`');
    expect(report).toContain('the base GPT with a scalar reward head on the last token');
    expect(report).toMatch(/PPO with a per-token KL penalty .*\(adaptive, target 6; now /s);
    expect(report).toContain('when the run had finished its 1 rounds, after 2 policy iterations');
    expect(report).toContain('completions the reward model overrates most');
    expect(report.split('## Known failure cases')[1].split('\n').filter((l) => l.startsWith('| "')).length).toBeGreaterThan(0);
  });

  it('imports back as a run with the same labels and weights; a link refuses text labels with the reason', async () => {
    const store = new MemoryStore();
    const bytes = buildBundle(record, 'text run', Date.UTC(2026, 10, 23));
    const { runId, summary } = await importBundle(store, bytes, 'text.zip');
    expect(summary.task).toBe('text');
    const got = (await loadCheckpoint(store, runId))!.record;
    expect(got.labels).toEqual(record.labels);
    expect(() => encodeLink(record.experiment, { labels: record.labels })).toThrow(/landscape labels only/);
    expect(encodeLink(record.experiment).startsWith('#share=v1.')).toBe(true);
  });
});
