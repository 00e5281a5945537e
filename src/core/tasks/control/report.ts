// The control task in a Reward Report: its environment, segments and policy; its failure cases are segments and are
// shown as clips in the tab, not listed here.
import type { CheckpointRecord } from '../../checkpoint/record';
import type { TaskReport } from '../report';

export const controlReport: TaskReport = {
  architecture: ({ experiment: e }) => {
    const rm = e.reward_model;
    return (
      `MLP (observation, action) → ${rm.hidden.join(' → ')} → 1 per step, ${rm.activation}, summed over a segment for Bradley-Terry; ` +
      `an ensemble of ${rm.ensemble}${rm.ensemble > 1 && rm.bootstrap ? ' (bootstrap resamples)' : ''}, queries by ${rm.query}`
    );
  },
  data({ experiment: e }: CheckpointRecord) {
    const t = e.task as { env: 'cartpole' | 'reacher'; segment_steps: number; rollout_steps: number; true_reward: boolean };
    const hidden = (e.policy as { hidden?: number[] }).hidden ?? [];
    return `- Task: \`control\`, environment \`${t.env}\` (true reward: ${t.env === 'cartpole' ? '+1 per step the pole stays up' : '−distance to the goal per step'});
  ${t.segment_steps}-step segments compared; ${t.rollout_steps} environment steps per PPO iteration; ${t.true_reward ? 'PPO on the true reward (no labels): the line to reach' : 'PPO on the learned reward'}.
- Policy: an MLP (${hidden.join(', ')}) with a ${t.env === 'cartpole' ? 'categorical' : 'Gaussian'} head and an MLP value function, from the seed. No reference policy and no KL penalty.`;
  },
  instructions: '"which clip is better?" (keep the pole upright; bring the point to the goal)',
  failures: () => ({
    intro: "Segments are compared as clips: the tab's clip view shows the policy's latest episode beside its true return.",
    column: 'segment',
    rows: [],
  }),
};
