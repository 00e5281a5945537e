// The pixels task's presets; experiment/presets.ts lists them with the rest.
import type { ExperimentInput } from '../../experiment/parse';

const pixelsBase = {
  version: 1,
  seed: 1,
  task: { kind: 'pixels', gold: { kind: 'symmetry' }, prompts: ['a face', 'a house', 'a tree', 'a symbol'], temperature: 1, top_k: 0 },
  // Gold rewards are shares in [0, 1]: a β of 50 makes a 0.05 difference a 92 % preference.
  labelers: [{ kind: 'simulated', beta: 50, epsilon: 0.05, tie_margin: 0.01, skip_prob: 0 }],
  reward_model: { lr: 0.001, steps: 80, batch_size: 16, holdout: 0.2, pool: 'mean' },
  policy: { kind: 'gpt' },
  optimizer: {
    algo: 'ppo',
    lr: 0.0005,
    kl_coef: 0.05,
    kl_estimator: 'k1',
    kl_target: null,
    batch_size: 16,
    minibatches: 2,
    epochs: 2,
    clip: 0.2,
    value_clip: 0.2,
    vf_coef: 0.1,
    gamma: 1,
    lam: 0.95,
    iterations: 12,
  },
  schedule: { rounds: 2, labels_per_round: 100, checkpoint_every_s: 30 },
} satisfies Omit<ExperimentInput, 'name'>;

export const PIXEL_PRESETS: ExperimentInput[] = [
  {
    ...pixelsBase,
    name: 'pixels-symmetry',
    description:
      'Human feedback on pictures: a small GPT, pretrained in the lab on generated pixel art, draws 10 × 10 trees, often off-centre; a simulated labeler prefers mirror-symmetric ones; a reward model learns that from pairs, and PPO pulls the painter toward centred, symmetric trees, held near its start by a KL penalty.',
    // Trees: the class the base model draws least symmetric (its faces, houses and symbols already mirror).
    task: { ...pixelsBase.task, prompts: ['a tree'] },
  },
  {
    ...pixelsBase,
    name: 'pixels-green',
    description:
      'The plainest preference pixels can carry: a labeler who likes green. From 100 comparisons a round the reward model learns it, and PPO paints more green into every class: crowns fill out, faces and houses turn green, while the KL penalty keeps them pictures.',
    task: { ...pixelsBase.task, gold: { kind: 'colour', colour: 'green' } },
  },
  {
    ...pixelsBase,
    name: 'pixels-colour-hack',
    description:
      'Reward hacking you can see: the gold reward is likeness to the class (a face should look like a face), but the labelers also like red. The reward model learns "more red is better", and on a loose KL leash the policy paints everything red while the gold likeness falls. The reward-hacking panel shows the pictures the reward model overrates most.',
    // A bias of 4 × the share of red: a picture one tenth redder is worth 0.4 to the labelers, about a class's likeness.
    task: { ...pixelsBase.task, gold: { kind: 'template' }, bias: { kind: 'colour', colour: 'red', weight: 4 } },
    optimizer: { ...pixelsBase.optimizer, lr: 0.001, kl_coef: 0.005, iterations: 20 },
    schedule: { rounds: 1, labels_per_round: 200, checkpoint_every_s: 30 },
    overoptimization: { bon_n: [], bon_samples: 16, hacking_samples: 8 },
  },
  {
    ...pixelsBase,
    name: 'pixels-human',
    description:
      'You are the labeler: for each class pick the picture you prefer (keys A and B, T for a tie, S to skip; the lab\'s gold reward prefers mirror-symmetric ones, yours may differ), train the reward model on your answers, then watch the pictures change.',
    labelers: [{ kind: 'human' }],
    schedule: { rounds: 2, labels_per_round: 8, checkpoint_every_s: 30 },
    optimizer: { ...pixelsBase.optimizer, iterations: 6 },
  },
];
