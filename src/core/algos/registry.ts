// The one map from `optimizer.algo` to its algorithm: its config schema (X_config.ts, beside its trainer X.ts), one
// policy iteration, what it needs of the run, and the words and charts hosts show for it. Every choice by algorithm
// name is made here; a new algorithm is its trainer and config files, its test, one entry below, and a line in
// README.md. Trainers are loaded on first use, so the tab's page reads this map without loading tfjs.
import * as v from 'valibot';
import type { Rng } from '../rng';
import type { Label } from '../feedback/labelers';
import type { MetricRow } from '../checkpoint/record';
import type { PolicyTask } from './policy_task';
import { KlController } from './kl';
import { PpoConfig } from './ppo_config';
import { ReinforceConfig } from './reinforce_config';
import { RlooConfig } from './rloo_config';
import { GrpoConfig } from './grpo_config';
import { ReinforcePpConfig } from './reinforce_pp_config';
import { DpoConfig, trlDpoLoss, type TrlDpoLoss } from './dpo_config';
import { SimpoConfig } from './simpo_config';
import { OrpoConfig } from './orpo_config';
import { KtoConfig } from './kto_config';
import { BestOfNConfig } from './best_of_n_config';

/** What the runner hands a policy iteration. */
export interface IterationContext {
  rng: Rng;
  /** The run's comparisons with a decisive or tie answer, in the order given (DPO trains on them). */
  labels: readonly Label[];
  /** The run's thumbs, up or down on one sample each (`schedule.feedback: "thumbs"`; KTO trains on them). */
  thumbs?: readonly Label[];
  /** The iteration's index within this round's policy stage (best-of-n: which n). */
  stageStep: number;
  /** The run's KL coefficient β, adapted where the algorithm has a KL target (PPO). */
  kl: KlController;
}

/** A metrics chart of an algorithm: keys of the rows, plotted against the step (or against `x`). */
export interface ChartSpec {
  testid: string;
  title: string;
  /** `right`: drawn against a second axis on the right, for a quantity of another scale than the others. */
  series: { key: string; label: string; color: string; right?: boolean }[];
  /** The x axis (default: step); rows without it are left out. */
  x?: string;
}

export interface Algorithm<C> {
  /** The valibot schema of `optimizer` for this algorithm. */
  config: v.GenericSchema<unknown, C>;
  /** The name people know it by ("PPO"). */
  title(c: C): string;
  /** What the policy stage does each round, in a few words (banners, the gallery). */
  summary(c: C): string;
  /** One sentence on the optimizer and its schedule, for the Reward Report. */
  describe(c: C): string;
  /** Policy iterations (metrics rows) per round. */
  iterations(c: C): number;
  /** Samples of the policy behind one metrics row (the step-0 row draws as many). */
  samples(c: C): number;
  /** β of its KL to π_ref, where it has one. */
  klCoef(c: C): number | undefined;
  /** The policy's Adam learning rate (0 where nothing is trained). */
  lr(c: C): number;
  /** The KL target and horizon of an adaptive controller (null: β stays fixed). */
  klTarget?(c: C): { target: number | null; horizon: number };
  /** False where it learns from the comparisons directly (no reward model is fit). */
  usesRewardModel: boolean;
  /** Learns from thumbs, one sample up or down (KTO), as well as from comparisons. */
  unpaired?: boolean;
  /** Uses the policy's value head. */
  usesValueHead?: boolean;
  iterate(task: PolicyTask, c: C, ctx: IterationContext): Promise<MetricRow>;
  /** Rules across its own fields, as messages naming the field. */
  check?(c: C): string[];
  /** Its rows are a best-of-n sweep, drawn on the over-optimization chart against √KL. */
  sweepsN?: boolean;
  /** Its rows give the completions' mean length by the sign of their advantage (completions/mean_length_{pos,neg}_adv). */
  lengthsByAdvantage?: boolean;
  /** Its own charts beside the lab's common ones. */
  charts(c: C): ChartSpec[];
  /** Its loss as TRL's DPOTrainer options, where it is one of DPO's (the export's train_trl.py --dpo). */
  trlDpoLoss?(c: C): TrlDpoLoss;
}

/** "40 PPO iterations with KL coefficient 0.1" */
const perRound = (o: { iterations: number; kl_coef: number }, name: string, unit = 'iterations') =>
  `${o.iterations} ${name} ${unit} with KL coefficient ${o.kl_coef}`;

const sampled = (o: { lr: number; batch_size: number; iterations: number }) =>
  `Adam lr ${o.lr}, ${o.batch_size} samples per iteration, ${o.iterations} iterations per round.`;

/** 1 ± ε as people write it (0.3, not 0.30000000000000004). */
const round = (x: number) => Number(x.toPrecision(12));

/** GRPO's variants by the name their paper gave them (TRL's settings, grpo_config.ts). */
function grpoTitle(o: GrpoConfig): string {
  if (o.loss_type === 'cispo') return 'CISPO';
  if (o.importance_sampling_level === 'sequence') return 'GSPO';
  if (o.loss_type === 'dr_grpo' && o.scale_rewards === 'none') return 'Dr. GRPO';
  if (o.dynamic_sampling || (o.epsilon_high ?? o.clip) > (o.epsilon_low ?? o.clip)) return 'DAPO';
  return 'GRPO';
}

/** DPO, IPO or CDPO, with "+RPO" where the NLL term is on. */
const dpoTitle = (o: DpoConfig) => `${o.loss === 'ipo' ? 'IPO' : o.loss === 'cdpo' ? 'CDPO' : 'DPO'}${rpo(o) ? '+RPO' : ''}`;
const rpo = (o: DpoConfig) => o.rpo_alpha !== undefined && o.rpo_alpha !== null;

const offline = (o: { lr: number; batch_size: number; iterations: number }) =>
  `Adam lr ${o.lr}, ${o.batch_size} pairs per step, ${o.iterations} steps per round.`;

const nllChart = (name: string): ChartSpec => ({
  testid: `chart-${name.toLowerCase()}-nll`,
  title: `${name}: NLL of the chosen completions (nats per token)`,
  series: [{ key: 'nll_loss', label: 'NLL(chosen)', color: '#ce93d8' }],
});

const groupCheck = (o: { k: number; batch_size: number }) =>
  o.batch_size % o.k !== 0 ? [`optimizer.k: ${o.k} samples per prompt do not divide batch_size ${o.batch_size}`] : [];

const ALGORITHMS = {
  ppo: {
    config: PpoConfig,
    title: () => 'PPO',
    summary: (o) => perRound(o, 'PPO'),
    describe: (o) =>
      `PPO with a per-token KL penalty \`r_t = −β·KL_t\` (${o.kl_estimator}), GAE (γ ${o.gamma}, λ ${o.lam}), clip ${o.clip}; ${sampled(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.batch_size,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    klTarget: (o) => ({ target: o.kl_target, horizon: o.kl_horizon }),
    usesRewardModel: true,
    usesValueHead: true,
    iterate: async (task, o, ctx) => (await import('./ppo')).ppoIteration(task, o, ctx.kl, ctx.rng),
    check: (o) => (o.batch_size % o.minibatches !== 0 ? [`optimizer.minibatches: ${o.minibatches} does not divide batch_size ${o.batch_size}`] : []),
    charts: () => [
      { testid: 'chart-ppo', title: 'PPO: ratio diagnostics', series: [{ key: 'policy/approxkl', label: 'approx KL', color: '#ef9a9a' }, { key: 'policy/clipfrac', label: 'clip fraction', color: '#ffcc80' }] },
      { testid: 'chart-value', title: 'Value head', series: [{ key: 'value/explained_variance', label: 'explained variance', color: '#80cbc4' }, { key: 'loss/value', label: 'value loss (right)', color: '#f48fb1', right: true }] },
    ],
  } satisfies Algorithm<PpoConfig>,
  reinforce: {
    config: ReinforceConfig,
    title: () => 'REINFORCE',
    summary: (o) => perRound(o, 'REINFORCE'),
    describe: (o) => `REINFORCE with a mean baseline on \`R = r(x) − kl_coef·(log π(x) − log π_ref(x))\`; ${sampled(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.batch_size,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: true,
    iterate: async (task, o, ctx) => (await import('./reinforce')).reinforceIteration(task, o, ctx.rng),
    charts: () => [],
  } satisfies Algorithm<ReinforceConfig>,
  dpo: {
    config: DpoConfig,
    title: (o) => dpoTitle(o),
    summary: (o) => perRound(o, dpoTitle(o), 'steps'),
    describe: (o) =>
      `${o.loss === 'ipo' ? 'IPO' : o.loss === 'cdpo' ? `Conservative DPO (label smoothing ${o.label_smoothing})` : 'DPO'}${rpo(o) ? ` plus ${o.rpo_alpha}·NLL of the chosen completions (RPO)` : ''} on the comparisons directly (no reward model); ${offline(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.eval_samples,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: false,
    iterate: async (task, o, ctx) => (await import('./dpo')).dpoIteration(task, o, ctx.labels, ctx.rng),
    trlDpoLoss,
    charts: (o) => [
      ...(rpo(o) ? [nllChart('RPO')] : []),
      { testid: 'chart-dpo', title: 'DPO: the margin grows, the chosen log-probability may fall', series: [{ key: 'rewards/margins', label: 'margin (implicit reward)', color: '#a5d6a7' }, { key: 'logps/chosen', label: 'log π(chosen)', color: '#ffd54f' }, { key: 'logps/rejected', label: 'log π(rejected)', color: '#ef9a9a' }] },
      { testid: 'chart-dpo-rewards', title: 'DPO: implicit rewards β·log(π/π_ref) and accuracy', series: [{ key: 'rewards/chosen', label: 'chosen', color: '#ffd54f' }, { key: 'rewards/rejected', label: 'rejected', color: '#ef9a9a' }, { key: 'rewards/accuracies', label: 'accuracy', color: '#80cbc4' }] },
    ],
  } satisfies Algorithm<DpoConfig>,
  simpo: {
    config: SimpoConfig,
    title: () => 'SimPO',
    summary: (o) => `${o.iterations} SimPO steps with β ${o.beta}, margin γ ${o.simpo_gamma}`,
    describe: (o) =>
      `SimPO on the comparisons directly (no reward model, no reference model): −log σ(β·(mean log π(y_w) − mean log π(y_l)) − γ) with β ${o.beta}, γ ${o.simpo_gamma}; ${offline(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.eval_samples,
    klCoef: () => undefined,
    lr: (o) => o.lr,
    usesRewardModel: false,
    iterate: async (task, o, ctx) => (await import('./simpo')).simpoIteration(task, o, ctx.labels, ctx.rng),
    charts: () => [
      { testid: 'chart-simpo', title: 'SimPO: length-normalized rewards β·mean log π and accuracy', series: [{ key: 'rewards/chosen', label: 'chosen', color: '#ffd54f' }, { key: 'rewards/rejected', label: 'rejected', color: '#ef9a9a' }, { key: 'rewards/margins', label: 'margin', color: '#a5d6a7' }, { key: 'rewards/accuracies', label: 'accuracy', color: '#80cbc4' }] },
      { testid: 'chart-simpo-logps', title: 'SimPO: mean per-token log π of chosen and rejected', series: [{ key: 'logps/chosen', label: 'chosen', color: '#ffd54f' }, { key: 'logps/rejected', label: 'rejected', color: '#ef9a9a' }] },
    ],
  } satisfies Algorithm<SimpoConfig>,
  orpo: {
    config: OrpoConfig,
    title: () => 'ORPO',
    summary: (o) => `${o.iterations} ORPO steps with λ ${o.beta}`,
    describe: (o) =>
      `ORPO on the comparisons directly (no reward model, no reference model): NLL of the chosen completions − ${o.beta}·log σ(log odds ratio of chosen to rejected); ${offline(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.eval_samples,
    klCoef: () => undefined,
    lr: (o) => o.lr,
    usesRewardModel: false,
    iterate: async (task, o, ctx) => (await import('./orpo')).orpoIteration(task, o, ctx.labels, ctx.rng),
    charts: () => [
      { testid: 'chart-orpo', title: 'ORPO: the log odds ratio of chosen to rejected and its log σ', series: [{ key: 'log_odds_chosen', label: 'log odds ratio', color: '#a5d6a7' }, { key: 'log_odds_ratio', label: 'log σ(log odds ratio)', color: '#90caf9' }] },
      nllChart('ORPO'),
    ],
  } satisfies Algorithm<OrpoConfig>,
  kto: {
    config: KtoConfig,
    title: () => 'KTO',
    summary: (o) => perRound(o, 'KTO', 'steps'),
    describe: (o) =>
      `KTO on desirable and undesirable completions (thumbs up and down, or each comparison's chosen and rejected side), weights ${o.desirable_weight} and ${o.undesirable_weight}, the reference point from mismatched prompt/completion pairs (no reward model); ${offline(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.eval_samples,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: false,
    unpaired: true,
    iterate: async (task, o, ctx) => {
      const kto = await import('./kto');
      return ctx.thumbs?.length ? kto.ktoUnpairedIteration(task, o, ctx.thumbs, ctx.rng) : kto.ktoIteration(task, o, ctx.labels, ctx.rng);
    },
    charts: () => [
      { testid: 'chart-kto', title: 'KTO: implicit rewards β·log(π/π_ref) of desirable and undesirable completions, and the reference point', series: [{ key: 'rewards/chosen', label: 'desirable', color: '#ffd54f' }, { key: 'rewards/rejected', label: 'undesirable', color: '#ef9a9a' }, { key: 'kl', label: 'z_ref (KL)', color: '#90caf9' }] },
    ],
  } satisfies Algorithm<KtoConfig>,
  rloo: {
    config: RlooConfig,
    title: () => 'RLOO',
    summary: (o) => perRound(o, 'RLOO'),
    describe: (o) => `RLOO: ${o.k} samples per prompt, each baselined by the mean KL-penalized reward of the other ${o.k - 1}; ${sampled(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.batch_size,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: true,
    iterate: async (task, o, ctx) => (await import('./rloo')).rlooIteration(task, o, ctx.rng),
    check: groupCheck,
    charts: () => [{ testid: 'chart-group', title: 'RLOO: policy loss', series: [{ key: 'loss/policy', label: 'policy loss', color: '#90caf9' }] }],
  } satisfies Algorithm<RlooConfig>,
  grpo: {
    config: GrpoConfig,
    title: grpoTitle,
    summary: (o) => perRound(o, grpoTitle(o)),
    describe: (o) =>
      `${grpoTitle(o)}: ${o.k} samples per prompt, advantages r − group mean${o.scale_rewards === 'none' ? '' : ` over the ${o.scale_rewards}'s std`}, ` +
      (o.loss_type === 'cispo'
        ? `CISPO's REINFORCE loss weighted by sg(min(ρ, ${o.epsilon_high}))`
        : `the ratio clipped to [${round(1 - (o.epsilon_low ?? o.clip))}, ${round(1 + (o.epsilon_high ?? o.clip))}]`) +
      `${o.importance_sampling_level === 'sequence' ? ' with one ratio per completion (GSPO)' : ''}, loss_type ${o.loss_type}, k3 KL as a loss term` +
      `${o.dynamic_sampling ? ', groups whose rewards tie left out' : ''}${o.soft_punish_cache ? `, soft overlong punishment over the last ${o.soft_punish_cache} tokens` : ''}; ${sampled(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.batch_size,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: true,
    iterate: async (task, o, ctx) => (await import('./grpo')).grpoIteration(task, o, ctx.rng),
    lengthsByAdvantage: true,
    check: (o) => [
      ...groupCheck(o),
      ...(o.loss_type === 'cispo' && o.epsilon_high === undefined
        ? ['optimizer.epsilon_high: CISPO caps the importance weight at epsilon_high itself (ε_max); set it (TRL recommends 5)']
        : []),
    ],
    charts: (o) => [
      { testid: 'chart-group', title: `${grpoTitle(o)}: policy loss`, series: [{ key: 'loss/policy', label: 'policy loss', color: '#90caf9' }, { key: 'policy/clipfrac', label: 'clip fraction', color: '#ffcc80' }] },
      o.loss_type === 'cispo'
        ? { testid: 'chart-clip-ratio', title: 'CISPO: share of weights capped at ε_max, and of groups that tie', series: [{ key: 'cispo_clip_ratio', label: 'capped (ρ > ε_max, A > 0)', color: '#ffcc80' }, { key: 'frac_reward_zero_std', label: 'groups with std 0', color: '#b0bec5' }] }
        : { testid: 'chart-clip-ratio', title: `${grpoTitle(o)}: where the ratio is clipped, and groups that tie`, series: [{ key: 'clip_ratio/low_mean', label: 'low (ρ < 1 − ε_low, A < 0)', color: '#ef9a9a' }, { key: 'clip_ratio/high_mean', label: 'high (ρ > 1 + ε_high, A > 0)', color: '#a5d6a7' }, { key: 'clip_ratio/region_mean', label: 'either', color: '#ffcc80' }, { key: 'frac_reward_zero_std', label: 'groups with std 0', color: '#b0bec5' }] },
    ],
  } satisfies Algorithm<GrpoConfig>,
  reinforce_pp: {
    config: ReinforcePpConfig,
    title: (o) => (o.baseline ? 'REINFORCE++-baseline' : 'REINFORCE++'),
    summary: (o) => perRound(o, o.baseline ? 'REINFORCE++-baseline' : 'REINFORCE++'),
    describe: (o) =>
      `${o.baseline ? `REINFORCE++-baseline (each reward minus its group of ${o.k}'s mean)` : 'REINFORCE++'}: per-token reward −β·KL_t (${o.kl_estimator}) plus the reward on the last token, returns to go whitened over every token of the batch, clip ${o.clip} over ${o.epochs} pass${o.epochs > 1 ? 'es' : ''}; ${sampled(o)}`,
    iterations: (o) => o.iterations,
    samples: (o) => o.batch_size,
    klCoef: (o) => o.kl_coef,
    lr: (o) => o.lr,
    usesRewardModel: true,
    iterate: async (task, o, ctx) => (await import('./reinforce_pp')).reinforcePpIteration(task, o, ctx.rng),
    lengthsByAdvantage: true,
    check: (o) => [
      ...(o.batch_size % o.k !== 0 ? [`optimizer.k: ${o.k} samples per prompt do not divide batch_size ${o.batch_size}`] : []),
      ...(o.baseline && o.k < 2 ? ['optimizer.k: REINFORCE++-baseline subtracts the group mean: it needs k ≥ 2 samples per prompt'] : []),
    ],
    charts: (o) => [
      { testid: 'chart-group', title: `${o.baseline ? 'REINFORCE++-baseline' : 'REINFORCE++'}: policy loss`, series: [{ key: 'loss/policy', label: 'policy loss', color: '#90caf9' }, { key: 'policy/clipfrac', label: 'clip fraction', color: '#ffcc80' }] },
    ],
  } satisfies Algorithm<ReinforcePpConfig>,
  best_of_n: {
    config: BestOfNConfig,
    title: () => 'best-of-n',
    summary: (o) => `best-of-n for n = ${o.n.join(', ')}`,
    sweepsN: true,
    describe: (o) => `Best-of-n of the reference policy on the reward model for n = ${o.n.join(', ')}, ${o.samples} picks per n.`,
    iterations: (o) => o.n.length,
    samples: (o) => o.samples,
    klCoef: () => undefined,
    lr: () => 0,
    usesRewardModel: true,
    iterate: async (task, o, ctx) => (await import('./best_of_n')).bestOfN(task, o.n[Math.min(ctx.stageStep, o.n.length - 1)], o.samples, ctx.rng),
    charts: () => [
      { testid: 'chart-bon', title: 'Best-of-n: reward against n', x: 'bon/n', series: [{ key: 'gold/mean', label: 'gold', color: '#ffd54f' }, { key: 'proxy/mean', label: 'proxy', color: '#7aa2ff' }, { key: 'objective/kl', label: 'KL = log n − (n−1)/n', color: '#ef9a9a' }] },
    ],
  } satisfies Algorithm<BestOfNConfig>,
};

export type AlgoName = keyof typeof ALGORITHMS;
export const ALGO_NAMES = Object.keys(ALGORITHMS) as AlgoName[];

/** Every algorithm's config schema, for the Experiment's `optimizer` variant. */
export const OPTIMIZER_CONFIGS = [ReinforceConfig, PpoConfig, DpoConfig, SimpoConfig, OrpoConfig, KtoConfig, RlooConfig, GrpoConfig, ReinforcePpConfig, BestOfNConfig] as const;

type Config = { algo: AlgoName };

/** The algorithm of an optimizer config. */
export function algorithmOf<C extends Config>(c: C): Algorithm<C> {
  return ALGORITHMS[c.algo] as unknown as Algorithm<C>;
}

/** The run's KL controller: adaptive where the algorithm has a target, else β fixed (0 where it has no KL). */
export function klControllerOf(c: Config, savedBeta?: unknown): KlController {
  const a = algorithmOf(c);
  const { target, horizon } = a.klTarget?.(c) ?? { target: null, horizon: 1 };
  return new KlController(typeof savedBeta === 'number' ? savedBeta : (a.klCoef(c) ?? 0), target, horizon);
}

/** The algorithm's words and charts by name, for hosts that hold only the name. */
export function algorithmTitle(c: Config): string {
  return algorithmOf(c).title(c);
}
