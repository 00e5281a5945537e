// The text task's GPT as Hugging Face transformers folders, and back. The lab's GPT is GPT-2 (Radford et al. 2019)
// without biases: pre-LayerNorm blocks, learned positions, LayerNorm ε 1e-5, relu or GPT-2's tanh GELU, an untied
// head. So each model maps onto transformers' GPT2LMHeadModel / GPT2ForSequenceClassification with zero biases:
//   wte, wpe                   → transformer.wte.weight, transformer.wpe.weight           (same layout)
//   h{l}.ln1.g/b, h{l}.ln2.g/b → transformer.h.{l}.ln_1/ln_2.weight/bias
//   h{l}.attn.qkv [d, 3d]      → transformer.h.{l}.attn.c_attn.weight                     (GPT-2's Conv1D is x·W too:
//   h{l}.attn.proj, mlp.fc/proj → attn.c_proj, mlp.c_fc, mlp.c_proj .weight                 [in, out], no transpose)
//   lnf.g/b                    → transformer.ln_f.weight/bias
//   lm_head [d, V]             → lm_head.weight [V, d]                                    (nn.Linear: transposed)
//   reward.w [d, 1]            → score.weight [1, d]; reward.b folded into ln_f.bias (GPT-2's score has no bias)
// The tokenizer is the character vocabulary of tasks/text/vocab.ts, one token per character, '\n' BOS = EOS = pad.
// Plain TypeScript: the export runs in the tab's worker and the CLI (check.json's numbers come from hf_check.ts).
import type { Weights } from '../models/params';
import type { GptConfig } from '../models/gpt';
import type { Experiment } from '../experiment/parse';
import type { CheckpointRecord } from './record';
import { algorithmOf } from '../algos/registry';
import { BOS, EOS, TEXT_CONTEXT, VOCAB } from '../tasks/text/vocab';
import { writeSafetensors } from './safetensors';

/** The HF folders a text run's export holds: the models the run has (a run with no reward model exports none). */
export function hfModelsOf(record: CheckpointRecord): ('policy' | 'reference' | 'reward_model')[] {
  const e = record.experiment;
  if (e.task.kind !== 'text') return [];
  const out: ('policy' | 'reference' | 'reward_model')[] = ['policy', 'reference'];
  if (algorithmOf(e.optimizer).usesRewardModel && record.models.reward_model) out.push('reward_model');
  return out.filter((m) => record.models[m]);
}

/** How the reward model pools its per-position scores, in words (metadata, model card, Reward Report). */
export function poolingText(pool: 'last' | 'mean'): string {
  return pool === 'mean'
    ? 'mean over the last prompt token and the completion tokens (positions |prompt| … end, BOS at 0)'
    : 'the last token of BOS + prompt + completion';
}

/** GPT-2 tensors of a lab GPT: `lm` for a causal LM (GPT2LMHeadModel), `score` for a reward model. */
export function toGpt2(cfg: GptConfig, w: Weights, head: 'lm' | 'score'): { tensors: Weights; foldedBias: number } {
  const { V, d, L } = cfg;
  const t: Weights = {};
  const zeros = (n: number) => ({ shape: [n], data: new Float32Array(n) });
  const copy = (name: string) => ({ shape: [...w[name].shape], data: new Float32Array(w[name].data) });
  t['transformer.wte.weight'] = copy('wte');
  t['transformer.wpe.weight'] = copy('wpe');
  for (let l = 0; l < L; l++) {
    const p = `transformer.h.${l}.`;
    t[`${p}ln_1.weight`] = copy(`h${l}.ln1.g`);
    t[`${p}ln_1.bias`] = copy(`h${l}.ln1.b`);
    t[`${p}attn.c_attn.weight`] = copy(`h${l}.attn.qkv`);
    t[`${p}attn.c_attn.bias`] = zeros(3 * d);
    t[`${p}attn.c_proj.weight`] = copy(`h${l}.attn.proj`);
    t[`${p}attn.c_proj.bias`] = zeros(d);
    t[`${p}ln_2.weight`] = copy(`h${l}.ln2.g`);
    t[`${p}ln_2.bias`] = copy(`h${l}.ln2.b`);
    t[`${p}mlp.c_fc.weight`] = copy(`h${l}.mlp.fc`);
    t[`${p}mlp.c_fc.bias`] = zeros(4 * d);
    t[`${p}mlp.c_proj.weight`] = copy(`h${l}.mlp.proj`);
    t[`${p}mlp.c_proj.bias`] = zeros(d);
  }
  t['transformer.ln_f.weight'] = copy('lnf.g');
  t['transformer.ln_f.bias'] = copy('lnf.b');
  let foldedBias = 0;
  if (head === 'lm') {
    const lm = w.lm_head.data; // [d, V]
    const out = new Float32Array(V * d);
    for (let i = 0; i < d; i++) for (let v = 0; v < V; v++) out[v * d + i] = lm[i * V + v];
    t['lm_head.weight'] = { shape: [V, d], data: out };
  } else {
    const rw = w['reward.w'].data;
    const b = w['reward.b'].data[0];
    t['score.weight'] = { shape: [1, d], data: new Float32Array(rw) };
    // score = h·w + b with h = LN(x)·g + β. GPT-2's score layer has no bias, and only the score reads ln_f in a
    // sequence classifier, so β += b·w/|w|² gives h'·w = h·w + b at every position (so also under mean pooling).
    const norm2 = rw.reduce((s, x) => s + x * x, 0);
    if (norm2 > 0 && b !== 0) {
      const beta = t['transformer.ln_f.bias'].data;
      for (let i = 0; i < d; i++) beta[i] += (b * rw[i]) / norm2;
      foldedBias = b;
    }
  }
  return { tensors: t, foldedBias };
}

/** The inverse of toGpt2's `lm` mapping (biases must be zero: the lab's GPT has none). */
export function fromGpt2(cfg: GptConfig, t: Weights): Weights {
  const { V, d, L } = cfg;
  const w: Weights = {};
  const copy = (name: string) => ({ shape: [...t[name].shape], data: new Float32Array(t[name].data) });
  w.wte = copy('transformer.wte.weight');
  w.wpe = copy('transformer.wpe.weight');
  for (let l = 0; l < L; l++) {
    const p = `transformer.h.${l}.`;
    w[`h${l}.ln1.g`] = copy(`${p}ln_1.weight`);
    w[`h${l}.ln1.b`] = copy(`${p}ln_1.bias`);
    w[`h${l}.attn.qkv`] = copy(`${p}attn.c_attn.weight`);
    w[`h${l}.attn.proj`] = copy(`${p}attn.c_proj.weight`);
    w[`h${l}.ln2.g`] = copy(`${p}ln_2.weight`);
    w[`h${l}.ln2.b`] = copy(`${p}ln_2.bias`);
    w[`h${l}.mlp.fc`] = copy(`${p}mlp.c_fc.weight`);
    w[`h${l}.mlp.proj`] = copy(`${p}mlp.c_proj.weight`);
  }
  w['lnf.g'] = copy('transformer.ln_f.weight');
  w['lnf.b'] = copy('transformer.ln_f.bias');
  // An untied head is lm_head.weight; a tied one (GPT-2's default) is the token embedding.
  const head = t['lm_head.weight'] ?? t['transformer.wte.weight'];
  const out = new Float32Array(d * V);
  for (let v = 0; v < V; v++) for (let i = 0; i < d; i++) out[i * V + v] = head.data[v * d + i];
  w.lm_head = { shape: [d, V], data: out };
  return w;
}

/** config.json of a GPT2LMHeadModel (`lm`) or a one-label GPT2ForSequenceClassification (`score`). */
export function gpt2Config(cfg: GptConfig, head: 'lm' | 'score', lab: Record<string, unknown>): Record<string, unknown> {
  return {
    architectures: [head === 'lm' ? 'GPT2LMHeadModel' : 'GPT2ForSequenceClassification'],
    model_type: 'gpt2',
    vocab_size: cfg.V,
    n_positions: cfg.T,
    n_embd: cfg.d,
    n_layer: cfg.L,
    n_head: cfg.H,
    n_inner: null,
    // The lab's GELU is the tanh form, which transformers calls gelu_new (GPT-2's own).
    activation_function: cfg.act === 'relu' ? 'relu' : 'gelu_new',
    layer_norm_epsilon: 1e-5,
    // The lab trains without dropout; so does a continuation that wants to behave like it.
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
    summary_first_dropout: 0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    tie_word_embeddings: false,
    bos_token_id: BOS,
    eos_token_id: EOS,
    // A sequence classifier scores the last non-pad token; with no pad id and one row it scores the last token,
    // the lab's "last" pooling (a pad of '\n' would skip a completion's final line break).
    pad_token_id: head === 'lm' ? EOS : null,
    ...(head === 'score' ? { num_labels: 1, id2label: { 0: 'reward' }, label2id: { reward: 0 } } : {}),
    dtype: 'float32',
    use_cache: true,
    rlhf_lab: lab,
  };
}

/** tokenizer.json (the tokenizers library's format): one token per character of the lab's vocabulary. */
export function tokenizerJson(): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  [...VOCAB].forEach((c, i) => (vocab[c] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: BOS, content: VOCAB[BOS], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    // Fuse: tokens are characters, joined with nothing between them.
    decoder: { type: 'Fuse' },
    // BPE with no merges is a character tokenizer: every character is looked up on its own.
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: [],
    },
  };
}

export function tokenizerConfig(T: number): Record<string, unknown> {
  const nl = VOCAB[BOS];
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: nl,
    eos_token: nl,
    pad_token: nl,
    model_max_length: T,
    padding_side: 'right',
    clean_up_tokenization_spaces: false,
  };
}

export function generationConfig(e: Experiment): Record<string, unknown> {
  const t = e.task as { max_new_tokens: number; temperature: number; top_k: number };
  return {
    bos_token_id: BOS,
    eos_token_id: EOS,
    pad_token_id: EOS,
    do_sample: t.temperature > 0,
    ...(t.temperature > 0 ? { temperature: t.temperature, top_k: t.top_k } : {}),
    max_new_tokens: t.max_new_tokens,
  };
}

const fmt = (x: unknown) => (typeof x === 'number' && Number.isFinite(x) ? Number(x.toPrecision(4)) : x);

/** README.md in the Hugging Face model-card layout: YAML front matter, then what the model is and how to load it. */
export function modelCard(record: CheckpointRecord, model: 'policy' | 'reference' | 'reward_model'): string {
  const e = record.experiment;
  const pool = e.reward_model.pool;
  const last = record.metrics[record.metrics.length - 1] ?? {};
  const counts = new Map<string, number>();
  for (const l of record.labels) counts.set(l.labeler, (counts.get(l.labeler) ?? 0) + 1);
  const t = e.task as { prompts?: string[]; gold?: unknown };
  const cfg = record.models[model].spec.gpt as GptConfig;
  const what = {
    policy: `the policy of the RLHF Lab run "${e.name}", trained with ${algorithmOf(e.optimizer).title(e.optimizer as never)}`,
    reference: `the reference policy π_ref of the RLHF Lab run "${e.name}": ${
      record.models.reference?.spec.base ? `the GPT-2 imported from \`${record.models.reference.spec.base}\`` : "the lab's pretrained base character GPT"
    }, frozen`,
    reward_model: `the reward model of the RLHF Lab run "${e.name}", fitted to the run's preferences (Bradley-Terry)`,
  }[model];
  const metrics = Object.entries(last)
    .filter(([k]) => /^(gold|proxy|rm|objective|rewards|text)\//.test(k))
    .map(([k, v]) => `| \`${k}\` | ${fmt(v)} |`)
    .join('\n');
  const load =
    model === 'reward_model'
      ? `\`\`\`python
from load_in_python import hf_reward_scores   # in the bundle's root: applies the run's pooling
scores = hf_reward_scores("hf/reward_model", ["you are"], [" so kind\\n"])
\`\`\`
Pooling: **${poolingText(pool)}**.${
          pool === 'last'
            ? ' `AutoModelForSequenceClassification.from_pretrained("hf/reward_model")` gives the same score for one unpadded row (`config.pad_token_id` is null so the final line break is scored).'
            : ' transformers\' `GPT2ForSequenceClassification` reads one position only, so the mean is taken by `hf_reward_scores`: `model.score(model.transformer(ids).last_hidden_state)` averaged over those positions.'
        }
The lab's head bias is folded into \`transformer.ln_f.bias\` (GPT-2's score layer has none), so every position's score
equals the lab's. Scores are raw; the lab normalized them for the policy with mean ${fmt((record.models.reward_model.spec.norm as { mean: number })?.mean)} and std ${fmt((record.models.reward_model.spec.norm as { std: number })?.std)} (\`config.rlhf_lab.norm\`).`
      : `\`\`\`python
from transformers import AutoModelForCausalLM, AutoTokenizer
model = AutoModelForCausalLM.from_pretrained("hf/${model}")
tokenizer = AutoTokenizer.from_pretrained("hf/${model}")
ids = tokenizer("\\n" + "you are", return_tensors="pt").input_ids   # the lab starts every sequence with "\\n" (BOS)
print(tokenizer.decode(model.generate(ids, max_new_tokens=${(e.task as { max_new_tokens?: number }).max_new_tokens ?? 16})[0]))
\`\`\``;
  return `---
library_name: transformers
pipeline_tag: ${model === 'reward_model' ? 'text-classification' : 'text-generation'}
tags:
- rlhf
- rlhf-lab
- gpt2
language:
- en
---
# ${e.name}: ${model}

This is ${what}, written as a Hugging Face \`transformers\` GPT-2 (${cfg.L} layers, width ${cfg.d}, ${cfg.H} heads,
${cfg.act === 'relu' ? 'ReLU' : 'GELU (tanh)'}, context ${cfg.T}, zero biases where the lab has none). It reads
characters: the tokenizer is the lab's vocabulary ${JSON.stringify(VOCAB)}, one token per character, "\\n" opening
a sequence (BOS) and ending a completion (EOS). Other characters are dropped by the tokenizer; the lab refuses them.

## Training data

${record.labels.length} labels on the prompts ${(t.prompts ?? []).map((p) => JSON.stringify(p)).join(', ')}, of which
${record.labels.filter((l) => l.answer === 'a' || l.answer === 'b').length} decisive comparisons (\`preferences.jsonl\` in the bundle's root); simulated labelers answer by
the gold reward \`${JSON.stringify(t.gold)}\`. Labelers:
${[...counts].map(([k, n]) => `- \`${k}\`: ${n} answers`).join('\n') || '- none'}

## Metrics at export (the run's last row; REWARD_REPORT.md has the rest)

| metric | value |
| --- | --- |
${metrics || '| – | – |'}

## How to use

${load}

\`check.json\` in the bundle lists prompts and completions with the lab's own log-probabilities${model === 'reward_model' ? ' and reward scores' : ''}: a loader
that matches them within 1e-4 reads this model as the lab does.
`;
}

/** The files of one HF folder (paths relative to the folder). */
export function hfFolder(record: CheckpointRecord, model: 'policy' | 'reference' | 'reward_model'): Record<string, string | Uint8Array> {
  const e = record.experiment;
  const m = record.models[model];
  const cfg = m.spec.gpt as GptConfig;
  const head = model === 'reward_model' ? 'score' : 'lm';
  const { tensors, foldedBias } = toGpt2(cfg, m.weights, head);
  const lab: Record<string, unknown> = { run: e.name, runId: record.runId, model, lab: record.versions.lab, vocab: VOCAB };
  if (head === 'score') {
    lab.pooling = e.reward_model.pool;
    lab.pooling_text = poolingText(e.reward_model.pool);
    lab.score_bias_folded_into_ln_f = foldedBias;
    lab.norm = m.spec.norm ?? { mean: 0, std: 1 };
  }
  const json = (x: unknown) => JSON.stringify(x, null, 2) + '\n';
  const files: Record<string, string | Uint8Array> = {
    'config.json': json(gpt2Config(cfg, head, lab)),
    'model.safetensors': writeSafetensors(tensors, { format: 'pt' }),
    'tokenizer.json': json(tokenizerJson()),
    'tokenizer_config.json': json(tokenizerConfig(cfg.T)),
    'special_tokens_map.json': json({ bos_token: VOCAB[BOS], eos_token: VOCAB[EOS], pad_token: VOCAB[EOS] }),
    'README.md': modelCard(record, model),
  };
  if (head === 'lm') files['generation_config.json'] = json(generationConfig(e));
  return files;
}

// ---- the other way: a small GPT-2 folder as the text task's base model --------------------------------------

export class HfImportError extends Error {
  override name = 'HfImportError';
}

/**
 * Parameters an imported base model may have. The lab trains three copies of it (policy, reference, reward model)
 * plus Adam's moments in a tab, on wasm as on webgpu: the shipped base has 0.1 M; 5 M is ~400 MB of float32 in all.
 */
export const MAX_IMPORT_PARAMS = 5_000_000;

/** The files of a Hugging Face GPT-2 folder the import reads. */
export interface HfFolderFiles {
  config: string;
  safetensors: Uint8Array;
  tokenizer: string;
}

/** A GPT2LMHeadModel folder (config.json, model.safetensors, tokenizer.json) as the lab's base model, or a refusal
 * that names what does not fit: the architecture, the vocabulary, or the size. */
export function importHfGpt2(files: HfFolderFiles, readTensors: (b: Uint8Array) => Weights, name = 'the folder'): {
  config: GptConfig;
  weights: Weights;
  notes: string[];
} {
  const refuse = (what: string) => {
    throw new HfImportError(`${name} cannot be the text task's base model: ${what}`);
  };
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(files.config);
  } catch (e) {
    return refuse(`config.json is not JSON (${(e as Error).message})`);
  }
  const arch = (c.architectures as string[] | undefined)?.join(', ') ?? String(c.model_type);
  if (c.model_type !== 'gpt2') refuse(`architecture ${arch} (model_type ${JSON.stringify(c.model_type)}); the lab's GPT is GPT-2's (model_type "gpt2")`);
  const act = String(c.activation_function ?? 'gelu_new');
  if (!['relu', 'gelu_new', 'gelu_pytorch_tanh'].includes(act)) {
    refuse(`architecture: activation ${JSON.stringify(act)}; the lab's GPT has relu and GELU's tanh form (gelu_new)`);
  }
  const eps = Number(c.layer_norm_epsilon ?? 1e-5);
  if (Math.abs(eps - 1e-5) > 1e-12) refuse(`architecture: layer_norm_epsilon ${eps}; the lab's LayerNorm uses 1e-5`);
  const d = Number(c.n_embd);
  const L = Number(c.n_layer);
  const H = Number(c.n_head);
  const T = Number(c.n_positions);
  if (c.n_inner !== null && c.n_inner !== undefined && c.n_inner !== 4 * d) refuse(`architecture: n_inner ${c.n_inner}; the lab's MLP is 4·n_embd = ${4 * d} wide`);
  if (c.scale_attn_weights === false || c.scale_attn_by_inverse_layer_idx === true) {
    refuse('architecture: attention scaled other than by 1/√(head width) (scale_attn_weights / scale_attn_by_inverse_layer_idx)');
  }
  if (![d, L, H, T].every((x) => Number.isInteger(x) && x > 0) || d % H !== 0) refuse(`architecture: n_embd ${d}, n_layer ${L}, n_head ${H}, n_positions ${T} do not make a GPT`);

  // The vocabulary: every token one character, together exactly the lab's characters (any order).
  let tok: { model?: { type?: string; vocab?: Record<string, number> | [string, number][]; merges?: unknown[] } };
  try {
    tok = JSON.parse(files.tokenizer);
  } catch (e) {
    return refuse(`tokenizer.json is not JSON (${(e as Error).message})`);
  }
  const raw = tok.model?.vocab;
  const vocab: [string, number][] = Array.isArray(raw) ? raw.map(([t], i) => [t, i]) : Object.entries(raw ?? {});
  const notChars = vocab.filter(([t]) => [...t].length !== 1 || !VOCAB.includes(t)).map(([t]) => t);
  const missing = [...VOCAB].filter((ch) => !vocab.some(([t]) => t === ch));
  if (notChars.length || missing.length || (tok.model?.merges?.length ?? 0) > 0 || vocab.length !== VOCAB.length) {
    const show = (xs: string[]) => xs.slice(0, 8).map((x) => JSON.stringify(x)).join(', ') + (xs.length > 8 ? `, … (${xs.length} in all)` : '');
    refuse(
      `vocabulary of ${vocab.length} ${tok.model?.type ?? ''} tokens; the lab's text task reads the ${VOCAB.length} characters ` +
        `${JSON.stringify(VOCAB)}, one token each` +
        (notChars.length ? `, and ${show(notChars)} ${notChars.length === 1 ? 'is' : 'are'} not one of them` : '') +
        (missing.length ? `; missing ${show(missing)}` : '') +
        ((tok.model?.merges?.length ?? 0) > 0 ? `; it has ${tok.model!.merges!.length} merges` : ''),
    );
  }
  const V = VOCAB.length;
  if (Number(c.vocab_size) !== V) refuse(`vocabulary: vocab_size ${c.vocab_size} in config.json, but ${V} characters`);
  if (T < TEXT_CONTEXT) refuse(`size: context n_positions ${T} is shorter than the text task's ${TEXT_CONTEXT} (BOS + prompt + completion)`);
  const params = V * d + T * d + L * (12 * d * d + 4 * d) + 2 * d + d * V;
  if (params > MAX_IMPORT_PARAMS) refuse(`size: ${(params / 1e6).toFixed(1)} M parameters; the lab trains base models of at most ${MAX_IMPORT_PARAMS / 1e6} M in a tab`);

  let tensors: Weights;
  try {
    tensors = readTensors(files.safetensors);
  } catch (e) {
    return refuse(`model.safetensors: ${(e as Error).message} (the lab reads float32 weights)`);
  }
  // Checkpoints saved from GPT2Model (or old ones) name the blocks without the "transformer." prefix.
  const t: Weights = {};
  for (const [k, v] of Object.entries(tensors)) t[k === 'lm_head.weight' || k.startsWith('transformer.') ? k : `transformer.${k}`] = v;
  const shapes: [string, number[]][] = [['transformer.wte.weight', [V, d]], ['transformer.wpe.weight', [T, d]], ['transformer.ln_f.weight', [d]]];
  for (let l = 0; l < L; l++) {
    const p = `transformer.h.${l}.`;
    shapes.push([`${p}attn.c_attn.weight`, [d, 3 * d]], [`${p}attn.c_proj.weight`, [d, d]], [`${p}mlp.c_fc.weight`, [d, 4 * d]], [`${p}mlp.c_proj.weight`, [4 * d, d]]);
  }
  for (const [k, shape] of shapes) {
    if (!t[k]) refuse(`model.safetensors has no ${k}`);
    if (t[k].shape.join(',') !== shape.join(',')) refuse(`model.safetensors: ${k} is [${t[k].shape}], config.json implies [${shape}]`);
  }
  // The lab's linear layers have no biases: transformers initializes GPT-2's to zero, training moves them.
  for (const [k, v] of Object.entries(t)) {
    if (!/\.(c_attn|c_proj|c_fc)\.bias$/.test(k)) continue;
    const max = v.data.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    if (max > 0) refuse(`architecture: ${k} is not zero (max |b| ${max.toPrecision(3)}); the lab's GPT has no biases in its linear layers`);
  }
  const cfg: GptConfig = { V, T, d, L, H, act: act === 'relu' ? 'relu' : 'gelu' };
  const w = fromGpt2(cfg, t);
  // Reorder the token rows (wte) and columns (lm_head) from the folder's ids to the lab's.
  const idOf = new Map(vocab);
  const perm = [...VOCAB].map((ch) => idOf.get(ch)!);
  const notes: string[] = [];
  if (perm.some((hf, lab) => hf !== lab)) {
    notes.push('token ids reordered to the lab vocabulary');
    const wte = new Float32Array(V * d);
    const head = new Float32Array(d * V);
    for (let lab = 0; lab < V; lab++) {
      wte.set(w.wte.data.subarray(perm[lab] * d, (perm[lab] + 1) * d), lab * d);
      for (let i = 0; i < d; i++) head[i * V + lab] = w.lm_head.data[i * V + perm[lab]];
    }
    w.wte = { shape: [V, d], data: wte };
    w.lm_head = { shape: [d, V], data: head };
  }
  if (!t['lm_head.weight']) notes.push('tied embeddings: lm_head is a copy of wte, trained apart from it from here on');
  return { config: cfg, weights: w, notes };
}
