// The text task's lab: the base character GPT as policy, reference and reward-model backbone (tasks/gpt_lab.ts
// holds what it shares with every GPT task); here, what is the text task's own: prompts and completions as
// characters, the gold reward and a labeler's length bias, the completions' length, and the red team's probes.
import { tf } from '../../tf';
import type { Rng } from '../../rng';
import type { Experiment, ExperimentOf } from '../../experiment/parse';
import type { GptConfig, Samples } from '../../models/gpt';
import { GptLab, freshGptWeights, oncePerHost } from '../gpt_lab';
import { algorithmOf } from '../../algos/registry';
import { inspectCompletion, type TokenInspection } from './inspect';
import { hackingSamples } from '../../analysis/overopt';
import type { MetricRow } from '../../checkpoint/record';
import type { Assets, Proposal, TaskState, TextVisuals } from '../task_lab';
import { mean } from '../../models/reward_norm';
import { BASE_BIN, BASE_JSON, LEXICON, decodeBaseModel, type BaseModel } from './base_model';
import { completionChars, goldReward, labelerBias, type Lexicon } from './gold';
import { BOS, EOS, decode, encode } from './vocab';

type TextExperiment = ExperimentOf<'text'>;

export interface TextAssets {
  base: BaseModel;
  lexicon: Lexicon;
}

/** The base model and lexicon, read once per host. */
export const loadTextAssets = oncePerHost(async (assets): Promise<TextAssets> => {
  const [json, bin, lex] = await Promise.all([assets(BASE_JSON), assets(BASE_BIN), assets(LEXICON)]);
  const base = await decodeBaseModel(new TextDecoder().decode(json), bin);
  return { base, lexicon: JSON.parse(new TextDecoder().decode(lex)) as Lexicon };
});

/** The completion of row b of a sample batch, as text (a final line break kept: it says the completion ended). */
function completionOf(s: Samples, b: number): string {
  return decode(s.ids.subarray(b * s.N + s.start[b] + 1, b * s.N + s.start[b] + 1 + s.length[b]));
}

export class TextLab extends GptLab {
  declare readonly experiment: TextExperiment;
  private readonly lexicon: Lexicon;
  /** Where the base model came from when it is not the lab's shipped one. */
  private readonly baseSource: string | null;

  private constructor(experiment: Experiment, cfg: GptConfig, lexicon: Lexicon, state: TaskState) {
    const task = (experiment as TextExperiment).task;
    super(experiment, cfg, {
      prompts: task.prompts,
      prefix: (p) => [BOS, ...encode(p)],
      tokens: encode,
      completionOf,
      eos: EOS,
      maxNew: task.max_new_tokens,
      temperature: task.temperature,
      topK: task.top_k,
    }, state);
    this.lexicon = lexicon;
    this.baseSource = (state.specs.reference?.base as string | undefined) ?? null;
  }

  /** A new run: policy and reward model start from the base model, with fresh heads from the run's generator. */
  static async create(experiment: Experiment, rng: Rng, assets: Assets): Promise<TextLab> {
    const { base, lexicon } = await loadTextAssets(assets);
    return new TextLab(experiment, base.config, lexicon, {
      weights: freshGptWeights(base.config, base.weights, rng, experiment.reward_model.length_control),
      // An imported base model is named in the reference's spec, so the Reward Report and model cards say so.
      specs: base.meta.source ? { reference: { base: base.meta.source } } : {},
    });
  }

  static async restore(experiment: Experiment, state: TaskState, assets: Assets): Promise<TextLab> {
    const { lexicon } = await loadTextAssets(assets);
    const cfg = state.specs.policy?.gpt as GptConfig;
    return new TextLab(experiment, cfg, lexicon, state);
  }

  protected override referenceSpec(): Record<string, unknown> {
    return this.baseSource ? { base: this.baseSource } : {};
  }

  gold(prompt: string, completion: string): number {
    return goldReward(this.experiment.task.gold, prompt, completion, this.lexicon);
  }

  labelerReward(labeler: { length_bias: number }, p: Proposal, side: 'a' | 'b'): number {
    const completion = p[side] as string;
    return this.gold(p.prompt ?? '', completion) + labelerBias(labeler.length_bias, completion);
  }

  /** Mean length of completions in characters (a final line break, which ends a completion, not counted). */
  protected measures(completions: string[]): MetricRow {
    return { 'text/length': mean(completions.map(completionChars)) };
  }

  // ---- the red team (redteam/text_attack.ts) --------------------------------------------------------------

  /**
   * Of (prompt, completion) pairs, in one readback: the normalized proxy, the gold reward, and the base model's mean
   * log-likelihood per completion token (the reference's: the plausibility an attack must keep).
   */
  async probeText(pairs: [string, string][]): Promise<{ proxy: Float32Array; gold: Float32Array; logp: Float32Array }> {
    const n = pairs.length;
    const t = tf.tidy(() => tf.concat([this.rawRewardTensor(pairs), this.sequenceLogps(this.reference, pairs)]));
    const v = (await t.data()) as Float32Array;
    t.dispose();
    return {
      proxy: Float32Array.from(v.subarray(0, n), (r) => this.normalized(r)),
      gold: Float32Array.from(pairs, ([p, c]) => this.gold(p, c)),
      // The mask of sequenceLogps covers exactly the completion's characters.
      logp: Float32Array.from(v.subarray(n), (l, i) => l / Math.max(1, pairs[i][1].length)),
    };
  }

  /**
   * The token inspector (inspect.ts): one completion token by token under the current policy, the reference and the
   * reward model, with the per-token rewards built with `beta` (the run's current β) and, where the optimizer uses
   * the value head (PPO), values and GAE advantages with its γ and λ.
   */
  inspect(prompt: string, completion: string, beta: number): Promise<TokenInspection> {
    const o = this.experiment.optimizer;
    return inspectCompletion(this.models_, prompt, completion, {
      temperature: this.experiment.task.temperature,
      pool: this.experiment.reward_model.pool,
      normalize: (x) => this.normalized(x),
      beta,
      estimator: 'kl_estimator' in o && o.kl_estimator ? o.kl_estimator : 'k1',
      gae: algorithmOf(o).usesValueHead && 'gamma' in o && 'lam' in o ? { gamma: o.gamma, lam: o.lam } : null,
    });
  }

  /** n (prompt, completion) samples of the current policy, prompts drawn at random. */
  async textSamples(n: number, rng: Rng): Promise<[string, string][]> {
    const idx = Array.from({ length: n }, () => rng.int(this.prefixes.length));
    const s = await this.sample(idx, rng);
    return idx.map((i, b) => [this.experiment.task.prompts[i], completionOf(s, b)]);
  }

  /** One policy completion of each prompt; a prompt that is not one of the run's is refused by name. */
  async completionsOf(prompts: string[], rng: Rng): Promise<string[]> {
    const all = this.experiment.task.prompts;
    const idx = prompts.map((p) => {
      const i = all.indexOf(p);
      if (i < 0) throw new Error(`${JSON.stringify(p)} is not one of this run's prompts (task.prompts): a comparison needs a policy completion of the same prompt`);
      return i;
    });
    if (idx.length === 0) return [];
    const s = await this.sample(idx, rng);
    return idx.map((_, b) => completionOf(s, b));
  }

  async visuals(): Promise<TextVisuals> {
    const k = this.experiment.overoptimization?.hacking_samples ?? 0;
    const hacking = hackingSamples(this.recent, k).map((r) => ({ label: `${r.prompt}▸${r.completion}`, proxy: r.proxy, gold: r.gold }));
    return { kind: 'text', samples: this.shown.map((r) => ({ ...r })), ...(k > 0 ? { hacking } : {}) };
  }
}
