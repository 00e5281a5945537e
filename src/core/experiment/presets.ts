// Ready experiments: `rlhf-lab presets` lists them, the tab offers them, `rlhf-lab run NAME` runs one.
import { parseExperiment, type Experiment, type ExperimentInput } from './parse';
import { CONTROL_PRESETS } from './control_presets';
import { PIXEL_PRESETS } from '../tasks/pixels/presets';

const landscapeBase = {
  version: 1,
  seed: 1,
  task: { kind: 'landscape2d', landscape: 'one-hill' },
  labelers: [{ kind: 'simulated', beta: 200, epsilon: 0.02, tie_margin: 0.005, skip_prob: 0 }],
  reward_model: { hidden: [64, 64], activation: 'relu', lr: 0.003, steps: 300, batch_size: 64, holdout: 0.2 },
  policy: { kind: 'gaussian_mixture', components: 1, init_mean: [-1.8, -1.6], init_std: 0.6 },
  optimizer: { algo: 'reinforce', lr: 0.04, kl_coef: 0.05, batch_size: 256, iterations: 40 },
  schedule: { rounds: 4, labels_per_round: 100, checkpoint_every_s: 30 },
} satisfies Omit<ExperimentInput, 'name'>;

const textBase = {
  version: 1,
  seed: 1,
  task: {
    kind: 'text',
    gold: { kind: 'sentiment' },
    prompts: ['the movie was', 'i think the', 'today was', 'my friend', 'this book', 'we had a', 'it was'],
    max_new_tokens: 24,
    temperature: 1,
    top_k: 0,
  },
  labelers: [{ kind: 'simulated', beta: 2, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0 }],
  reward_model: { lr: 0.001, steps: 100, batch_size: 16, holdout: 0.2, pool: 'mean' },
  policy: { kind: 'gpt' },
  optimizer: {
    algo: 'ppo',
    lr: 0.0003,
    kl_coef: 0.1,
    kl_estimator: 'k1',
    kl_target: 6,
    kl_horizon: 32,
    batch_size: 32,
    minibatches: 2,
    epochs: 2,
    clip: 0.2,
    value_clip: 0.2,
    vf_coef: 0.1,
    gamma: 1,
    lam: 0.95,
    iterations: 15,
  },
  schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
} satisfies Omit<ExperimentInput, 'name'>;

const inputs: ExperimentInput[] = [
  {
    ...landscapeBase,
    name: 'landscape-hello',
    description:
      'The whole RLHF loop on one hill: a simulated labeler compares points, a reward model learns the hill, the policy climbs it with a KL leash. Trains in seconds.',
  },
  {
    ...landscapeBase,
    name: 'landscape-human',
    description:
      'You are the labeler: compare two points of the plane (brighter on the gold map is better), train the reward model on your answers, then watch the policy climb it.',
    labelers: [{ kind: 'human' }],
    schedule: { rounds: 3, labels_per_round: 20, checkpoint_every_s: 30 },
  },
  {
    ...landscapeBase,
    name: 'landscape-decoy',
    description:
      'Two hills: a low decoy near the start and a higher one farther off. With few labels and a firm KL leash the policy settles for the decoy.',
    task: { kind: 'landscape2d', landscape: 'two-hills' },
    policy: { kind: 'gaussian_mixture', components: 3, init_mean: [-1.6, -1.2], init_std: 0.7 },
  },
  {
    ...landscapeBase,
    name: 'landscape-ridge',
    description:
      'A narrow ridge: labels near the start say little about where it leads, and the reward model extrapolates off the ridge. Watch proxy and gold part ways.',
    task: { kind: 'landscape2d', landscape: 'ridge' },
    optimizer: { algo: 'reinforce', lr: 0.04, kl_coef: 0.005, batch_size: 256, iterations: 60 },
  },
  {
    ...landscapeBase,
    name: 'landscape-noisy',
    description:
      'The same hill labeled by a careless panel: one labeler answers at random a third of the time, another is barely rational. Watch reward-model accuracy and gold fall behind.',
    labelers: [
      { kind: 'simulated', beta: 30, epsilon: 0.33, tie_margin: 0, skip_prob: 0.05, weight: 1 },
      { kind: 'simulated', beta: 3, epsilon: 0.1, tie_margin: 0.02, skip_prob: 0, weight: 1 },
    ],
  },
  {
    ...landscapeBase,
    name: 'overopt-landscape',
    description:
      'Over-optimization, measured: one round of labels from the starting policy only, then REINFORCE pushed far on a weak KL leash. The ReLU reward model extrapolates past the hill it saw the foot of: proxy reward keeps rising while gold peaks and falls. Then best-of-n of the starting policy on the same reward model, and Gao et al.\'s fits of gold against √KL. Then raise the KL coefficient in the Parameters panel and run it again: the policy stops nearer the peak of gold. (A conservative ensemble of 5 reward models scoring mean − 4·std, set in an experiment file as reward_model.ensemble 5 and reward_model.conservative "mean_minus_std", stops where its members start to disagree.)',
    // λ only matters for an ensemble with conservative "mean_minus_std" (the variant above); one model ignores it.
    reward_model: { ...landscapeBase.reward_model, conservative_lambda: 4 },
    optimizer: { algo: 'reinforce', lr: 0.04, kl_coef: 0.02, batch_size: 256, iterations: 120 },
    schedule: { rounds: 1, labels_per_round: 100, checkpoint_every_s: 30 },
    overoptimization: { bon_n: [1, 2, 4, 8, 16, 32, 64, 128, 256], bon_samples: 64, hacking_samples: 8 },
  },
  {
    ...landscapeBase,
    name: 'overopt-noisy-bon',
    description:
      'Noisy labels and best-of-n (Coste et al. 2023): the over-optimization labels from a labeler who answers at random half the time (a quarter of the labels wrong), then best-of-n of the starting policy for n from 1 to 1024 on the reward model. Run it again with an ensemble (reward_model.ensemble 5, reward_model.conservative "worst" or "mean_minus_std") and compare gold at each n.',
    labelers: [{ kind: 'simulated', beta: 50, epsilon: 0.5, tie_margin: 0, skip_prob: 0, weight: 1 }],
    reward_model: { ...landscapeBase.reward_model, conservative_lambda: 4 },
    optimizer: { algo: 'best_of_n', n: [1, 4, 16, 64, 256, 1024], samples: 64 },
    schedule: { rounds: 1, labels_per_round: 100, checkpoint_every_s: 30 },
  },
  {
    ...textBase,
    name: 'text-sentiment-ppo',
    description:
      'A tiny character GPT learns cheerful sentences: a simulated labeler prefers completions with happier words (AFINN-165), a GPT reward model learns that, and PPO pulls the policy toward it while a per-token KL penalty keeps it speaking the base model\'s language.',
  },
  {
    ...textBase,
    name: 'text-haiku-ppo',
    description:
      'Haiku-shaped lines: the labeler prefers a prompt plus completion of exactly 5 syllables (CMU Pronouncing Dictionary), as a haiku\'s first line. Watch completions get shorter and end on time.',
    task: {
      ...textBase.task,
      gold: { kind: 'syllables', target: 5 },
      prompts: ['the lake', 'today', 'my friend', 'the storm', 'what a', 'the night'],
    },
    labelers: [{ kind: 'simulated', beta: 1.5, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0 }],
  },
  {
    ...textBase,
    name: 'text-sentiment-lengthy',
    description:
      'The cheerful-sentence run with a biased labeler who also likes longer completions (0.25 per character). The reward model learns the bias with the sentiment, and the policy writes longer completions to please it: watch completion length climb where the unbiased run\'s falls, paid for in KL the gold reward does not value.',
    labelers: [{ kind: 'simulated', beta: 2, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0, length_bias: 0.25 }],
  },
  {
    ...textBase,
    name: 'text-sentiment-lengthy-controlled',
    description:
      'The length-biased labeler of text-sentiment-lengthy, with a length-controlled reward model (LMArena\'s style control): length is a separate term w·length fit beside the reward model and left out when the policy is scored. The rows report the coefficient found (rm/length_coef); compare completion length with the uncontrolled run.',
    labelers: [{ kind: 'simulated', beta: 2, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0, length_bias: 0.25 }],
    reward_model: { ...textBase.reward_model, length_control: true },
  },
  {
    ...textBase,
    name: 'text-sentiment-human',
    description:
      'You are the labeler: for each prompt pick the completion you prefer (the lab\'s gold reward prefers cheerful ones; yours may differ), train the reward model on your answers, then watch PPO follow it.',
    labelers: [{ kind: 'human' }],
    schedule: { rounds: 3, labels_per_round: 24, checkpoint_every_s: 30 },
    optimizer: { ...textBase.optimizer, iterations: 10 },
  },
  {
    ...textBase,
    name: 'text-sentiment-dpo',
    description:
      'The cheerful-sentence comparisons, with no reward model: DPO moves the policy straight from the preference pairs. Watch the chosen log-probability beside the margin: the margin grows even when both log-probabilities fall.',
    schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
    optimizer: { algo: 'dpo', loss: 'sigmoid', lr: 0.0003, kl_coef: 0.1, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-sentiment-rpo',
    description:
      'DPO plus a negative log-likelihood term on the chosen completions (RPO, TRL\'s rpo_alpha): the same comparisons as the DPO preset, but the chosen log-probability is held up while the margin grows. Compare logps/chosen with the DPO run.',
    schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
    optimizer: { algo: 'dpo', loss: 'sigmoid', rpo_alpha: 1, lr: 0.0003, kl_coef: 0.1, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-sentiment-simpo',
    description:
      'SimPO on the cheerful-sentence comparisons: no reward model and no reference model; the chosen completion\'s mean per-token log-probability must beat the rejected one\'s by a margin γ. Nothing holds it near the base model: watch KL beside gold.',
    schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
    optimizer: { algo: 'simpo', beta: 2, simpo_gamma: 0.5, lr: 0.0001, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-sentiment-orpo',
    description:
      'ORPO on the cheerful-sentence comparisons: supervised fine-tuning on the chosen completions plus an odds-ratio penalty on the rejected ones, in one stage, with no reward model and no reference model.',
    schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
    optimizer: { algo: 'orpo', beta: 0.5, lr: 0.0003, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-sentiment-kto',
    description:
      'KTO on the cheerful-sentence comparisons, each split into a desirable (chosen) and an undesirable (rejected) completion: no pairs in the loss, a reference point from mismatched prompts, and a KL leash through β as in DPO.',
    schedule: { rounds: 2, labels_per_round: 120, checkpoint_every_s: 30 },
    optimizer: { algo: 'kto', kl_coef: 0.1, desirable_weight: 1, undesirable_weight: 1, lr: 0.0003, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-sentiment-kto-thumbs',
    description:
      'KTO from thumbs, TRL\'s unpaired feedback: the labeler sees one completion at a time and gives it a thumb up (cheerful enough: gold above 0, with a Boltzmann labeler\'s noise) or down. No pairs anywhere: each thumb is a desirable or an undesirable completion.',
    labelers: [{ kind: 'simulated', beta: 2, epsilon: 0.05, tie_margin: 0, skip_prob: 0, thumb_threshold: 0 }],
    schedule: { rounds: 2, labels_per_round: 240, checkpoint_every_s: 30, feedback: 'thumbs' },
    optimizer: { algo: 'kto', kl_coef: 0.1, desirable_weight: 1, undesirable_weight: 1, lr: 0.0003, batch_size: 32, eval_samples: 32, iterations: 20 },
  },
  {
    ...textBase,
    name: 'text-kto-thumbs-human',
    description:
      'You give the thumbs: each completion gets up (↑ or U) or down (↓ or D), and KTO trains the policy on them with no reward model. The lab\'s gold reward likes cheerful completions; your thumbs may like something else.',
    labelers: [{ kind: 'human' }],
    schedule: { rounds: 2, labels_per_round: 24, checkpoint_every_s: 30, feedback: 'thumbs' },
    optimizer: { algo: 'kto', kl_coef: 0.1, desirable_weight: 1, undesirable_weight: 1, lr: 0.0003, batch_size: 16, eval_samples: 16, iterations: 10 },
  },
  {
    ...textBase,
    name: 'text-sentiment-rloo',
    description:
      'The cheerful-sentence run optimized with RLOO: four completions per prompt, each baselined by the other three, no value head. Compare its KL and gold with PPO on the same labels.',
    optimizer: { algo: 'rloo', lr: 0.0005, kl_coef: 0.05, k: 4, batch_size: 64, iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-grpo',
    description:
      'The cheerful-sentence run optimized with GRPO: advantages normalized within each prompt\'s group of eight, a clipped ratio, and the k3 KL estimate as a loss term instead of a reward penalty.',
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, clip: 0.2, iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-dr-grpo',
    description:
      'GRPO done right (Liu et al. 2025): no division by the group\'s std (scale_rewards none), and the loss summed over tokens and divided by a constant (loss_type dr_grpo) instead of each completion\'s length. Watch the completion lengths of positive and negative advantage: neither is favoured by the normalization.',
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, clip: 0.2, loss_type: 'dr_grpo', scale_rewards: 'none', iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-grpo-lengthy',
    description:
      'GRPO\'s length bias (Liu et al. 2025): GRPO as its paper writes it (each completion\'s token losses averaged, advantages divided by the group\'s std) with a labeler who also likes longer completions. Watch the length of negative-advantage completions climb; then set optimizer.loss_type "dr_grpo" and optimizer.scale_rewards "none" (Dr. GRPO) and compare.',
    labelers: [{ kind: 'simulated', beta: 2, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0, length_bias: 0.25 }],
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, clip: 0.2, loss_type: 'grpo', iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-dapo',
    description:
      'DAPO (Yu et al. 2025): clip-higher (the ratio may rise to 1.28 but fall only to 0.8), the loss averaged over every token of the batch, groups whose rewards tie left out (dynamic sampling, without DAPO\'s refill), and a soft penalty on completions within 4 characters of the length limit. Watch clip_ratio/high against clip_ratio/low.',
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, clip: 0.2, epsilon_high: 0.28, loss_type: 'dapo', dynamic_sampling: true, soft_punish_cache: 4, iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-gspo',
    description:
      'GSPO (Zheng et al. 2025): one importance ratio per completion, the geometric mean of its tokens\' ratios, clipped to the paper\'s narrow [1 − 3e-4, 1 + 4e-4]. The second pass over each batch is mostly clipped: watch clip_ratio/region.',
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, clip: 0.0003, epsilon_high: 0.0004, loss_type: 'grpo', importance_sampling_level: 'sequence', iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-cispo',
    description:
      'CISPO (MiniMax-M1, 2025): no token is clipped out of the gradient; each token\'s REINFORCE term is weighted by its importance ratio, capped at 5 and held constant. Watch cispo_clip_ratio: the share of weights the cap bit.',
    optimizer: { algo: 'grpo', lr: 0.0002, kl_coef: 0.15, k: 8, batch_size: 64, epochs: 2, loss_type: 'cispo', epsilon_high: 5, iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-sentiment-reinforce-pp',
    description:
      'REINFORCE++ (Hu 2025): no critic, the per-token KL penalty in the reward as PPO has it, returns to go whitened over every token of the batch, and PPO\'s clipped loss. Set optimizer.baseline=true and optimizer.k=8 for REINFORCE++-baseline (each reward minus its prompt group\'s mean first).',
    optimizer: { algo: 'reinforce_pp', lr: 0.0003, kl_coef: 0.05, kl_estimator: 'k1', batch_size: 64, epochs: 1, clip: 0.2, iterations: 25 },
  },
  {
    ...textBase,
    name: 'text-bon',
    description:
      'Best-of-n as an optimizer: no gradient at all, just n completions of the base model and the reward model\'s favourite kept. Its KL is exactly log n − (n−1)/n; watch how much gold each nat buys compared with PPO.',
    schedule: { rounds: 1, labels_per_round: 240, checkpoint_every_s: 30 },
    optimizer: { algo: 'best_of_n', n: [1, 2, 4, 8, 16, 32, 64], samples: 32 },
  },
  {
    ...textBase,
    name: 'overopt-text',
    description:
      'Over-optimization on text: one reward model fit on the base model\'s completions, then PPO on a weak, fixed KL leash for 60 iterations, then best-of-n for n = 1…256 on the same reward model. Gold and proxy against √KL with Gao et al.\'s fits; the reward-hacking panel lists the completions the reward model overrates most.',
    schedule: { rounds: 1, labels_per_round: 240, checkpoint_every_s: 30 },
    optimizer: { ...textBase.optimizer, lr: 0.00015, kl_coef: 0.005, kl_target: null, iterations: 60 },
    overoptimization: { bon_n: [1, 2, 4, 8, 16, 32, 64, 128, 256], bon_samples: 16, hacking_samples: 8 },
  },
  {
    ...landscapeBase,
    name: 'iterated-rollback',
    description:
      'Iterated RLHF with rollback on the ridge: each round labels the latest policy\'s samples, retrains the reward model, rolls the policy back to its start and optimizes again. Watch the reward model\'s agreement with the labeler on the policy\'s own samples climb round by round; compare with one-shot RLHF on the same 400 labels: in the Parameters panel set Rounds to 1 and Labels per round to 400.',
    task: { kind: 'landscape2d', landscape: 'ridge' },
    optimizer: { algo: 'reinforce', lr: 0.04, kl_coef: 0.005, batch_size: 256, iterations: 60 },
    schedule: { rounds: 4, labels_per_round: 100, checkpoint_every_s: 30, rollback: true },
  },
];

export const PRESETS: Experiment[] = [...inputs, ...PIXEL_PRESETS, ...CONTROL_PRESETS].map((p) => parseExperiment(p));
export const DEFAULT_PRESET = 'landscape-hello';

export function preset(name: string): Experiment | undefined {
  const p = PRESETS.find((x) => x.name === name);
  return p && structuredClone(p);
}

/** Every leaf of a JSON value by its `--set` path (`optimizer.kl_coef`, `labelers[0].beta`). */
function leaves(v: unknown, path: string, out: Map<string, unknown>): Map<string, unknown> {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[${i}]`, out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else out.set(path, v);
  return out;
}

/** A parameter where two experiments differ: its path, and its value in each (undefined where one has none). */
export interface ParamChange {
  path: string;
  value: unknown;
  base: unknown;
}

/** Where `e` differs from `base`, by path (the description is words, not a parameter, and is left out). */
export function experimentChanges(e: Experiment, base: Experiment): ParamChange[] {
  const a = leaves(e, '', new Map());
  const b = leaves(base, '', new Map());
  const out: ParamChange[] = [];
  for (const path of new Set([...a.keys(), ...b.keys()])) {
    if (path === 'description' || path === 'name') continue;
    if (a.get(path) !== b.get(path)) out.push({ path, value: a.get(path), base: b.get(path) });
  }
  return out;
}

/** Where a run's experiment differs from the preset of its name; null where no preset has that name. */
export function changesFromPreset(e: Experiment): ParamChange[] | null {
  const base = PRESETS.find((p) => p.name === e.name);
  return base ? experimentChanges(e, base) : null;
}
