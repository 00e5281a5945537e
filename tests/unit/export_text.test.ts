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
import { buildBundle, exportBundle } from '../../src/core/checkpoint/export';
import { fromGpt2 } from '../../src/core/checkpoint/hf';
import { VOCAB } from '../../src/core/tasks/text/vocab';
import { trainTrl, trlLoss } from '../../src/core/checkpoint/python';
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
    expect(report).toContain('the base GPT with a scalar reward head averaged over the last prompt token and the completion');
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

describe('the Hugging Face folders of a text run', () => {
  let hf: Record<string, Uint8Array>;
  beforeAll(async () => {
    hf = unzipSync(await exportBundle(record, 'text run', Date.UTC(2026, 10, 23)));
  });

  it('GPT-2 names and layouts: Conv1D weights as the lab keeps them, lm_head transposed, zero biases, and back', () => {
    const w = record.models.policy.weights;
    const cfg = record.models.policy.spec.gpt as { V: number; d: number; L: number; T: number; H: number };
    const config = JSON.parse(strFromU8(hf['hf/policy/config.json']));
    expect(config).toMatchObject({
      architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: VOCAB.length, n_positions: cfg.T, n_embd: cfg.d,
      n_layer: cfg.L, n_head: cfg.H, activation_function: 'relu', layer_norm_epsilon: 1e-5, tie_word_embeddings: false,
    });
    const st = readSafetensors(hf['hf/policy/model.safetensors']).tensors;
    expect(st['transformer.h.1.attn.c_attn.weight'].shape).toEqual([cfg.d, 3 * cfg.d]);
    expect(st['transformer.h.1.attn.c_attn.weight'].data).toEqual(w['h1.attn.qkv'].data);
    expect(st['transformer.h.0.mlp.c_fc.bias'].data.every((x) => x === 0)).toBe(true);
    // lm_head.weight[v, i] = the lab's lm_head[i, v]: token 5's row is column 5 of the lab's [d, V] matrix
    expect(st['lm_head.weight'].shape).toEqual([cfg.V, cfg.d]);
    const col5 = Array.from({ length: cfg.d }, (_, i) => w.lm_head.data[i * cfg.V + 5]);
    expect(Array.from(st['lm_head.weight'].data.subarray(5 * cfg.d, 6 * cfg.d))).toEqual(col5);
    const back = fromGpt2(record.models.policy.spec.gpt as never, st);
    for (const [k, v] of Object.entries(w)) if (!k.startsWith('value.')) expect(back[k].data, k).toEqual(v.data);
  });

  it('the reward model: score.weight is the head, its bias folded into ln_f.bias so every position scores h·w + b', () => {
    const w = record.models.reward_model.weights;
    const st = readSafetensors(hf['hf/reward_model/model.safetensors']).tensors;
    expect(st['lm_head.weight']).toBeUndefined();
    expect(st['score.weight'].data).toEqual(w['reward.w'].data);
    // (β + Δβ)·w − β·w is the lab's bias b
    const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i], 0);
    const shift = dot(st['transformer.ln_f.bias'].data, w['reward.w'].data) - dot(w['lnf.b'].data, w['reward.w'].data);
    expect(shift).toBeCloseTo(w['reward.b'].data[0], 6);
    const config = JSON.parse(strFromU8(hf['hf/reward_model/config.json']));
    expect(config).toMatchObject({ architectures: ['GPT2ForSequenceClassification'], num_labels: 1, pad_token_id: null });
    expect(config.rlhf_lab).toMatchObject({ pooling: 'mean', norm: record.models.reward_model.spec.norm });
    expect(strFromU8(hf['hf/reward_model/README.md'])).toMatch(/^---\nlibrary_name: transformers\npipeline_tag: text-classification/);
  });

  it('tokenizer.json: one token per character of the lab vocabulary, "\\n" BOS = EOS = pad', () => {
    const tok = JSON.parse(strFromU8(hf['hf/policy/tokenizer.json']));
    expect(Object.entries(tok.model.vocab).sort((a, b) => (a[1] as number) - (b[1] as number)).map(([c]) => c).join('')).toBe(VOCAB);
    expect(tok.model.merges).toEqual([]);
    expect(JSON.parse(strFromU8(hf['hf/policy/tokenizer_config.json']))).toMatchObject({ bos_token: '\n', eos_token: '\n', pad_token: '\n' });
  });

  it("check.json: the run's own completions with per-token log-probs that sum to the completion's", () => {
    const check = JSON.parse(strFromU8(hf['check.json']));
    expect(check.models).toEqual(['policy', 'reference', 'reward_model']);
    expect(check.rows.length).toBe(6);
    for (const row of check.rows) {
      expect(row.text).toBe('\n' + row.prompt + row.completion);
      expect(row.ids.map((i: number) => VOCAB[i]).join('')).toBe(row.text);
      expect(row.policy.token_logps).toHaveLength(row.ids.length - 1);
      const tail = row.policy.token_logps.slice(row.prompt.length).reduce((a: number, b: number) => a + b, 0);
      expect(row.policy.completion_logp).toBeCloseTo(tail, 4);
      expect(Number.isFinite(row.reward_model.score)).toBe(true);
    }
  });
});

describe("train_trl.py: the run's preference loss in TRL 1.x's terms", () => {
  const dpo = (sets: string[]) => applyOverrides(preset('text-sentiment-dpo')!, sets);
  it('sigmoid as is; ipo and cdpo mapped with a note of the difference; rpo_alpha as a weighted sft loss', () => {
    expect(trlLoss(dpo([]))).toEqual({ loss_type: ['sigmoid'], loss_weights: null, label_smoothing: 0, notes: [] });
    const ipo = trlLoss(dpo(['optimizer.loss=ipo']));
    expect(ipo.loss_type).toEqual(['ipo']);
    expect(ipo.notes[0]).toMatch(/TRL's IPO divides each completion's log-ratio by its token count .* the lab sums/);
    const cdpo = trlLoss(dpo(['optimizer.loss=cdpo', 'optimizer.label_smoothing=0.2', 'optimizer.rpo_alpha=0.5']));
    expect(cdpo).toMatchObject({ loss_type: ['robust', 'sft'], loss_weights: [1, 0.5], label_smoothing: 0.2 });
    expect(cdpo.notes.join('\n')).toMatch(/no conservative DPO .*'robust' with label_smoothing 0.2/);
    const script = trainTrl(dpo(['optimizer.loss=cdpo', 'optimizer.label_smoothing=0.2']));
    expect(script).toContain('"loss_type": [\n        "robust"\n    ]');
    expect(script).toContain('"label_smoothing": 0.2');
    expect(script).toContain('"beta": 0.1');
    expect(trlLoss(preset('text-sentiment-ppo')!).notes[0]).toMatch(/the run trained with ppo, not DPO/);
  });
});
