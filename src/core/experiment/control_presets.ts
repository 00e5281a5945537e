// The control task's presets (deep RL from preferences on cart-pole and the reacher); presets.ts lists them with the rest.
import type { ExperimentInput } from './parse';

const controlBase = {
  version: 1,
  seed: 1,
  task: { kind: 'control', env: 'cartpole', segment_steps: 50, rollout_steps: 1024 },
  labelers: [{ kind: 'simulated', beta: 1, epsilon: 0.05, tie_margin: 0.5, skip_prob: 0 }],
  reward_model: {
    hidden: [64, 64],
    activation: 'tanh',
    lr: 0.001,
    steps: 50,
    batch_size: 16,
    holdout: 0.1,
    ensemble: 3,
    bootstrap: true,
    query: 'disagreement',
    query_candidates: 16,
  },
  policy: { kind: 'mlp', hidden: [64, 64], activation: 'tanh' },
  optimizer: {
    algo: 'ppo',
    lr: 0.001,
    kl_coef: 0,
    batch_size: 4,
    minibatches: 4,
    epochs: 4,
    clip: 0.2,
    value_clip: 10,
    vf_coef: 0.5,
    gamma: 0.99,
    lam: 0.95,
    iterations: 5,
  },
  schedule: { rounds: 10, labels_per_round: 40, checkpoint_every_s: 30 },
} satisfies Omit<ExperimentInput, 'name'>;

const reacherBase = {
  ...controlBase,
  task: { kind: 'control', env: 'reacher', segment_steps: 15, rollout_steps: 1000 },
  // Distance is a smooth function the reward model must fit closely: more steps per round than cart-pole's.
  reward_model: { ...controlBase.reward_model, steps: 250 },
  optimizer: { ...controlBase.optimizer, batch_size: 20, minibatches: 4, lr: 0.003 },
} satisfies Omit<ExperimentInput, 'name'>;

/** Cart-pole and reacher runs from simulated comparisons, their true-reward twins, a myopic labeler and a human one. */
export const CONTROL_PRESETS: ExperimentInput[] = [
  {
    ...controlBase,
    name: 'control-cartpole',
    description:
      'Deep RL from human preferences (Christiano et al. 2017) in miniature: a simulated labeler watches pairs of 1 s cart-pole clips and picks the one that kept the pole up longer; an ensemble reward model over (state, action) learns from the comparisons, asks about the clips it disagrees on, and PPO balances the pole on the learned reward.',
  },
  {
    ...controlBase,
    name: 'control-cartpole-true',
    description:
      'The line to reach: the control-cartpole schedule with PPO on the true reward (+1 per step the pole stays up), no labels.',
    task: { ...controlBase.task, true_reward: true },
    schedule: { ...controlBase.schedule, labels_per_round: 0 },
  },
  {
    ...controlBase,
    name: 'control-cartpole-myopic',
    description:
      'The control-cartpole run with a myopic labeler who judges each 1 s clip by its last 5 steps only. Clips whose pole fell before then look alike to it, and it calls them ties: watch the true return fall below the untrained policy\'s as the agent learns to drop the pole at once.',
    labelers: [{ ...controlBase.labelers[0], myopic_steps: 5 }],
  },
  {
    ...controlBase,
    name: 'control-cartpole-human',
    description:
      'You are the labeler: watch two cart-pole clips and pick the one that balances better, train the reward model on your answers, then watch the policy\'s new clip.',
    labelers: [{ kind: 'human' }],
    schedule: { rounds: 3, labels_per_round: 12, checkpoint_every_s: 30 },
    optimizer: { ...controlBase.optimizer, iterations: 3 },
  },
  {
    ...reacherBase,
    name: 'control-reacher',
    description:
      'A point mass must reach a goal: the simulated labeler prefers the 1.5 s clip that ends up nearer the goal over its whole length; the reward model learns distance from comparisons alone, and PPO steers the point by it.',
  },
  {
    ...reacherBase,
    name: 'control-reacher-true',
    description: 'The line to reach for control-reacher: the same schedule with PPO on the true reward (−distance to the goal per step), no labels.',
    task: { ...reacherBase.task, true_reward: true },
    schedule: { ...reacherBase.schedule, labels_per_round: 0 },
  },
];

/**
 * The true return PPO on the true reward reaches with a control preset's schedule (its "-true" twin, seed 1, wasm,
 * mean of the last 10 iterations, measured by tests/unit/cli_control.test.ts): the line the tab draws to reach.
 */
export const TRUE_RETURN_LINE: Record<string, number> = {
  'control-cartpole': 280.1,
  'control-reacher': -17.9,
};
