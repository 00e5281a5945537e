// importHfGpt2 without Python: a lab GPT written as a GPT-2 folder (with its token ids shuffled) reads back to the
// same weights, and folders that do not fit are refused with the reason (architecture, vocabulary, size).
// tests/unit/hf_python.test.ts does the same with folders transformers wrote, and compares log-probabilities.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/rng';
import { initGpt, type GptConfig } from '../../src/core/models/gpt';
import { gpt2Config, importHfGpt2, toGpt2, tokenizerJson, MAX_IMPORT_PARAMS } from '../../src/core/checkpoint/hf';
import { readSafetensors, writeSafetensors } from '../../src/core/checkpoint/safetensors';
import { VOCAB } from '../../src/core/tasks/text/vocab';

const cfg: GptConfig = { V: VOCAB.length, T: 48, d: 16, L: 2, H: 2, act: 'gelu' };
const weights = initGpt(cfg, new Rng(5));
const read = (b: Uint8Array) => readSafetensors(b).tensors;

/** The lab GPT as a folder's files, its token ids permuted by `perm` (folder id of the lab's token i: perm[i]). */
function folder(perm: number[] = [...VOCAB].map((_, i) => i), edit: (c: Record<string, unknown>) => void = () => {}) {
  const t = toGpt2(cfg, weights, 'lm').tensors;
  const { d, V } = cfg;
  const wte = new Float32Array(V * d);
  const head = new Float32Array(V * d);
  for (let i = 0; i < V; i++) {
    wte.set(t['transformer.wte.weight'].data.subarray(i * d, (i + 1) * d), perm[i] * d);
    head.set(t['lm_head.weight'].data.subarray(i * d, (i + 1) * d), perm[i] * d);
  }
  t['transformer.wte.weight'] = { shape: [V, d], data: wte };
  t['lm_head.weight'] = { shape: [V, d], data: head };
  const tok = tokenizerJson() as { model: { vocab: Record<string, number> } };
  tok.model.vocab = Object.fromEntries([...VOCAB].map((c, i) => [c, perm[i]]));
  const config = gpt2Config(cfg, 'lm', {});
  edit(config);
  return { config: JSON.stringify(config), safetensors: writeSafetensors(t), tokenizer: JSON.stringify(tok) };
}

describe('importHfGpt2', () => {
  it('reads a GPT-2 folder back to the lab weights, reordering shuffled token ids', () => {
    // a fixed permutation: reversed, then the first two swapped
    const perm = [...VOCAB].map((_, i) => VOCAB.length - 1 - i);
    [perm[0], perm[1]] = [perm[1], perm[0]];
    expect(perm).not.toEqual([...VOCAB].map((_, i) => i));
    const got = importHfGpt2(folder(perm), read);
    expect(got.config).toEqual(cfg);
    expect(got.notes).toContain('token ids reordered to the lab vocabulary');
    for (const [k, v] of Object.entries(weights)) expect(got.weights[k].data, k).toEqual(v.data);
  });

  it('refuses another architecture, vocabulary or size, saying which', () => {
    const refused = (f: ReturnType<typeof folder>) => () => importHfGpt2(f, read, 'tiny');
    expect(refused(folder(undefined, (c) => ((c.model_type = 'llama'), (c.architectures = ['LlamaForCausalLM']))))).toThrow(
      /tiny cannot be the text task's base model: architecture LlamaForCausalLM \(model_type "llama"\)/,
    );
    expect(refused(folder(undefined, (c) => (c.layer_norm_epsilon = 1e-6)))).toThrow(/layer_norm_epsilon 0.000001; the lab's LayerNorm uses 1e-5/);
    expect(refused(folder(undefined, (c) => (c.n_positions = 32)))).toThrow(/size: context n_positions 32 is shorter than the text task's 48/);
    expect(refused(folder(undefined, (c) => ((c.n_embd = 1024), (c.n_layer = 24), (c.n_head = 16))))).toThrow(
      new RegExp(`size: 302\\.[0-9] M parameters; the lab trains base models of at most ${MAX_IMPORT_PARAMS / 1e6} M`),
    );
    const words = folder();
    const tok = JSON.parse(words.tokenizer);
    tok.model.vocab = { ...tok.model.vocab, hello: 34, Ġthe: 35 };
    delete tok.model.vocab.z;
    expect(refused({ ...words, tokenizer: JSON.stringify(tok) })).toThrow(/vocabulary of 35 BPE tokens; .* "hello", "Ġthe" are not one of them; missing "z"/);
  });
});
