// The text task in a Reward Report: its prompts and base model; its failure cases are the latest completions the
// reward model overrates most (the lab keeps them with their proxy and gold rewards in the policy's spec).
import { fmt as f, overrated, type TaskReport } from '../report';

type Shown = { prompt: string; completion: string; proxy: number; gold: number };

export const textReport: TaskReport = {
  architecture: ({ experiment: e }) =>
    `the base GPT with a scalar reward head ${e.reward_model.pool === 'mean' ? 'averaged over the last prompt token and the completion' : 'on the last token'}; an ensemble of 1`,
  data({ experiment: e, models }) {
    const base = models.reference?.spec.base as string | undefined;
    const t = e.task as { gold: unknown; prompts: string[]; max_new_tokens: number; temperature: number; top_k: number };
    return `- Task: \`text\`, gold reward \`${JSON.stringify(t.gold)}\`; prompts: ${t.prompts.map((p) => JSON.stringify(p)).join(', ')};
  ${t.max_new_tokens} new characters per completion, temperature ${t.temperature}, top-k ${t.top_k}.
- Policy: ${
      base
        ? `a Hugging Face GPT-2 imported from \`${base}\` (\`rlhf-lab run --base\`)`
        : `the lab's shipped base character GPT (\`public/text/base.json\`, pretrained by \`npm run pretrain\` on the lab's
  corpus)`
    } with a value head; the reference policy π_ref is that base model, frozen.`;
  },
  instructions: '"pick the completion you prefer"',
  failures(record) {
    const shown = (record.models.policy?.spec.shown as Shown[] | undefined) ?? [];
    const cell = (t: string) => JSON.stringify(t).replace(/\|/g, '\\|');
    const rows = overrated(shown.map((r) => r.proxy), shown.map((r) => r.gold)).map(
      ({ i, d }) => `| ${cell(shown[i].prompt)} ${cell(shown[i].completion)} | ${f(shown[i].proxy, 2)} | ${f(shown[i].gold, 3)} | ${f(d, 2)} |`,
    );
    return {
      intro: "The policy's latest completions the reward model overrates most relative to the gold reward (z-scores over them):",
      column: 'prompt + completion',
      rows,
    };
  },
};
