// The pixels task in a Reward Report: the pictures asked for, the base model, the labelers' bias; its failure
// cases are the latest pictures the reward model overrates most (kept with their proxy and gold rewards).
import { fmt as f, overrated, type TaskReport } from '../report';
import { SIZE } from './picture';

type Shown = { prompt: string; completion: string; proxy: number; gold: number };

export const pixelsReport: TaskReport = {
  architecture: ({ experiment: e }) =>
    `the pixels base GPT with a scalar reward head ${e.reward_model.pool === 'mean' ? 'averaged over the class token and the pixels' : 'on the last pixel'}; an ensemble of 1`,
  data({ experiment: e }) {
    const t = e.task as { gold: unknown; bias?: unknown; prompts: string[]; temperature: number; top_k: number };
    return `- Task: \`pixels\` (${SIZE} × ${SIZE} pictures in an 8-colour palette, drawn row by row), gold reward \`${JSON.stringify(t.gold)}\`${
      t.bias ? `; simulated labelers biased by \`${JSON.stringify(t.bias)}\`` : ''
    }; prompts: ${t.prompts.map((p) => JSON.stringify(p)).join(', ')}; temperature ${t.temperature}, top-k ${t.top_k}.
- Policy: the lab's shipped pixels base GPT (\`public/pixels/base.json\`, pretrained by \`rlhf-lab pretrain --task pixels\` on
  generated faces, houses, trees and symbols) with a value head; the reference policy π_ref is that base model, frozen.`;
  },
  instructions: '"pick the picture you prefer"',
  failures(record) {
    const shown = (record.models.policy?.spec.shown as Shown[] | undefined) ?? [];
    const rows = overrated(shown.map((r) => r.proxy), shown.map((r) => r.gold)).map(
      ({ i, d }) => `| ${shown[i].prompt}: \`${shown[i].completion}\` | ${f(shown[i].proxy, 2)} | ${f(shown[i].gold, 3)} | ${f(d, 2)} |`,
    );
    return {
      intro: `The policy's latest pictures the reward model overrates most relative to the gold reward (z-scores over them; each picture as its ${SIZE * SIZE} palette digits, row by row):`,
      column: 'prompt: picture',
      rows,
    };
  },
};
