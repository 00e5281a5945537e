// The control task's part of the Experiment: the environment, segments and rollouts, the MLP policy, PPO, and the
// rules that tie them together. No tfjs here.
import * as v from 'valibot';
import { int } from '../../experiment/fields';
import type { TaskSpec } from '../registry';
import type { PpoConfig } from '../../algos/ppo_config';
import { textOnlySettings } from '../landscape2d/spec';

export const CONTROL_ENVS = ['cartpole', 'reacher'] as const;

export const ControlTask = v.strictObject({
  kind: v.literal('control'),
  /** The environment (core/tasks/control/envs.ts): "cartpole" (balance a pole) or "reacher" (a point mass to a goal). */
  env: v.picklist(CONTROL_ENVS),
  /** Steps per compared segment (cart-pole steps are 0.02 s, reacher steps 0.1 s; clips play them at a watchable rate). */
  segment_steps: int(2, 200),
  /** Environment steps per policy iteration, shared by the optimizer's batch_size environments run side by side. */
  rollout_steps: int(16, 65536),
  /** PPO on the environment's true reward instead of a reward model: no labels, the line learning from comparisons aims at. */
  true_reward: v.optional(v.boolean(), false),
});

/** The control task's policy: an MLP over observations (categorical or Gaussian head) and an MLP value function. */
export const MlpPolicy = v.strictObject({
  kind: v.literal('mlp'),
  /** Widths of the hidden layers of the policy and of the value function. */
  hidden: v.pipe(v.array(int(1, 1024)), v.minLength(1), v.maxLength(6)),
  activation: v.optional(v.picklist(['relu', 'tanh']), 'tanh'),
});

const ALGOS = ['ppo'] as const;

const numbers = v.pipe(v.array(v.pipe(v.number(), v.finite())), v.maxLength(100_000));
/** A segment as a comparison stores it: its environment, observations, actions and true rewards step by step. */
const Segment = v.strictObject({ env: v.picklist(CONTROL_ENVS), obs: numbers, act: numbers, reward: numbers });

export const controlSpec = {
  sample: Segment,
  models: ['reward_model', 'policy'],
  task: ControlTask,
  policy: MlpPolicy,
  algos: ALGOS,
  name: 'control',
  segments: true,
  title: (t) => `control ${t.env}, ${t.true_reward ? 'true reward' : 'segment comparisons'}`,
  // A segment as compact JSON (observations, actions, true rewards): the pair a reward model over (s, a) trains on.
  preference: (task, _l, chosen, rejected) => ({ prompt: task.env, chosen: JSON.stringify(chosen), rejected: JSON.stringify(rejected) }),
  check: (e, task) => {
    const out: string[] = [...textOnlySettings(e)];
    // Its optimizers' fields (PPO's): checked when the optimizer is one of them (another is refused by its name).
    const optimizer = e.optimizer as PpoConfig;
    if ((ALGOS as readonly string[]).includes(optimizer.algo)) {
      if (task.rollout_steps % optimizer.batch_size !== 0) {
        out.push(`task.rollout_steps: ${task.rollout_steps} is not a multiple of optimizer.batch_size ${optimizer.batch_size} (the environments run side by side)`);
      }
      if (task.rollout_steps % optimizer.minibatches !== 0) {
        out.push(`optimizer.minibatches: ${optimizer.minibatches} does not divide task.rollout_steps ${task.rollout_steps}`);
      }
      if (optimizer.kl_coef !== 0) out.push(`optimizer.kl_coef: the control task has no reference policy to stay near; set it to 0`);
    }
    if (e.schedule.rollback) out.push(`schedule.rollback: the control task does not roll its policy back between rounds; set it to false`);
    if (e.overoptimization && e.overoptimization.bon_n.length > 0) {
      out.push(`overoptimization.bon_n: the control task has no best-of-n sweep; leave bon_n empty`);
    }
    e.labelers.forEach((l, i) => {
      if (l.kind === 'simulated' && l.length_bias !== 0) out.push(`labelers[${i}].length_bias: a length bias applies to text only; set it to 0`);
      if (l.kind === 'simulated' && (l.myopic_steps ?? 0) > task.segment_steps) {
        out.push(`labelers[${i}].myopic_steps: ${l.myopic_steps} is longer than a segment (task.segment_steps ${task.segment_steps})`);
      }
    });
    return out;
  },
} satisfies TaskSpec<v.InferOutput<typeof ControlTask>>;
