// Ready experiments: `rlhf-lab presets` lists them, the tab offers them, `rlhf-lab run NAME` runs one.
import { parseExperiment, type Experiment, type ExperimentInput } from './spec';

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
];

export const PRESETS: Experiment[] = inputs.map((p) => parseExperiment(p));
export const DEFAULT_PRESET = 'landscape-hello';

export function preset(name: string): Experiment | undefined {
  const p = PRESETS.find((x) => x.name === name);
  return p && structuredClone(p);
}
