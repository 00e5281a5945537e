// REWARD_REPORT.md: what RLHF.md's "Transparency" section asks a run to disclose, filled from its checkpoint.
// Plain TypeScript (no tfjs): the landscape reward model is small enough to evaluate here for calibration and for
// the places where it and the gold reward disagree most.
import { klCoef, type Experiment } from '../experiment/spec';
import type { CheckpointRecord, MetricRow } from './record';
import type { Label } from '../feedback/labelers';
import { targetOf, sigmoid } from '../feedback/labelers';
import { landscape, gridPoints, goldOptimum, EXTENT } from '../tasks/landscape2d/landscape';
import type { Weights } from '../models/params';
import { mlpHost, type MlpShape } from '../models/mlp_host';

const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(d));

/** The landscape reward model r_θ(x, y) in plain JS (mlp.ts, same layout). */
export function mlpScore(weights: Weights, spec: Record<string, unknown>, x: number, y: number): number {
  const s = spec as unknown as MlpShape;
  return mlpHost({ ...s, input_scale: s.input_scale ?? EXTENT }, weights, [x, y])[0];
}

function rmArchitecture(e: Experiment): string {
  const rm = e.reward_model;
  if (e.task.kind === 'text') return 'the base GPT with a scalar reward head on the last token; an ensemble of 1';
  if (e.task.kind === 'control') {
    return `MLP (observation, action) → ${rm.hidden.join(' → ')} → 1 per step, ${rm.activation}, summed over a segment for Bradley-Terry; ` +
      `an ensemble of ${rm.ensemble}${rm.ensemble > 1 && rm.bootstrap ? ' (bootstrap resamples)' : ''}, queries by ${rm.query}`;
  }
  return `MLP ${[2, ...rm.hidden, 1].join(' → ')}, ${rm.activation}, inputs divided by ${EXTENT}; an ensemble of 1`;
}

/** The held-out labels as the runner splits them (every k-th usable label by id, k = round(1/holdout)). */
export function heldOutLabels(e: Experiment, labels: readonly Label[]): Label[] {
  const h = e.reward_model.holdout;
  if (h <= 0) return [];
  const k = Math.max(2, Math.round(1 / h));
  return labels.filter((l) => targetOf(l.answer) !== null && l.id % k === k - 1);
}

function last(rows: MetricRow[], key: string): number | null {
  for (let i = rows.length - 1; i >= 0; i--) if (Number.isFinite(rows[i][key])) return rows[i][key];
  return null;
}

function labelerLine(e: Experiment, i: number): string {
  const l = e.labelers[i];
  if (l.kind === 'human') return `a person in the tab (weight ${l.weight})`;
  return (
    `simulated, Boltzmann-rational over the gold reward: β = ${l.beta}, random answers ε = ${l.epsilon}, ` +
    `tie when |Δgold| < ${l.tie_margin}, skips ${l.skip_prob}, weight ${l.weight}` +
    (l.myopic_steps ? `, myopic: judges a segment by its last ${l.myopic_steps} steps` : '')
  );
}

export function rewardReport(record: CheckpointRecord): string {
  const e = record.experiment;
  const m = record.metrics;
  const first = m[0] ?? {};
  const rm = record.models.reward_model;
  const norm = (rm?.spec.norm as { mean: number; std: number } | undefined) ?? { mean: 0, std: 1 };
  const task = e.task;
  const land = task.kind === 'landscape2d' ? landscape(task.landscape) : null;
  const opt = land ? goldOptimum(land) : null;
  const counts = { a: 0, b: 0, tie: 0, skip: 0 };
  const byLabeler = new Map<string, number>();
  for (const l of record.labels) {
    counts[l.answer] += 1;
    byLabeler.set(l.labeler, (byLabeler.get(l.labeler) ?? 0) + 1);
  }

  // Calibration on the held-out labels: predicted P(a ≻ b) = σ(r(a) − r(b)) against what the labelers said.
  const held = heldOutLabels(e, record.labels);
  const bins = Array.from({ length: 5 }, () => ({ n: 0, p: 0, y: 0 }));
  let correct = 0;
  let decisive = 0;
  if (rm && land) {
    for (const l of held) {
      const p = sigmoid(mlpScore(rm.weights, rm.spec, ...(l.a as [number, number])) - mlpScore(rm.weights, rm.spec, ...(l.b as [number, number])));
      const y = targetOf(l.answer)!;
      const bin = bins[Math.min(4, Math.floor(p * 5))];
      bin.n += 1;
      bin.p += p;
      bin.y += y;
      // As pairAccuracy: decisive pairs only, the preferred side strictly higher.
      if (y !== 0.5) {
        decisive += 1;
        correct += Number(y === 1 ? p > 0.5 : p < 0.5);
      }
    }
  }
  const calibration = bins
    .map((b, i) => `| ${(i / 5).toFixed(1)}–${((i + 1) / 5).toFixed(1)} | ${b.n} | ${b.n ? f(b.p / b.n, 2) : '–'} | ${b.n ? f(b.y / b.n, 2) : '–'} |`)
    .join('\n');

  // Where the reward model and the gold reward disagree most, on a grid over the plane (both as z-scores).
  let failures = '';
  if (rm && land) {
    const pts = gridPoints(32);
    const n = pts.length / 2;
    const proxy = new Float64Array(n);
    const gold = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      proxy[i] = (mlpScore(rm.weights, rm.spec, pts[2 * i], pts[2 * i + 1]) - norm.mean) / norm.std;
      gold[i] = land.gold(pts[2 * i], pts[2 * i + 1]);
    }
    const z = (a: Float64Array) => {
      const mu = a.reduce((s, x) => s + x, 0) / a.length;
      const sd = Math.sqrt(a.reduce((s, x) => s + (x - mu) ** 2, 0) / a.length) || 1;
      return Array.from(a, (x) => (x - mu) / sd);
    };
    const [zp, zg] = [z(proxy), z(gold)];
    const worst = zp
      .map((p, i) => ({ i, d: p - zg[i] }))
      .sort((a, b) => b.d - a.d)
      .slice(0, 5);
    failures = worst
      .map(({ i, d }) => `| (${f(pts[2 * i], 2)}, ${f(pts[2 * i + 1], 2)}) | ${f(proxy[i], 2)} | ${f(gold[i], 3)} | ${f(d, 2)} |`)
      .join('\n');
  }
  if (task.kind === 'text') {
    // The text lab keeps its latest completions with their proxy and gold rewards: the failure cases are those the
    // reward model overrates most relative to the gold reward.
    const shown = (record.models.policy?.spec.shown as { prompt: string; completion: string; proxy: number; gold: number }[] | undefined) ?? [];
    const z = (xs: number[]) => {
      const mu = xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mu) ** 2, 0) / (xs.length || 1)) || 1;
      return xs.map((x) => (x - mu) / sd);
    };
    const [zp, zg] = [z(shown.map((r) => r.proxy)), z(shown.map((r) => r.gold))];
    const cell = (t: string) => JSON.stringify(t).replace(/\|/g, '\\|');
    failures = shown
      .map((r, i) => ({ r, d: zp[i] - zg[i] }))
      .sort((a, b) => b.d - a.d)
      .slice(0, 5)
      .map(({ r, d }) => `| ${cell(r.prompt)} ${cell(r.completion)} | ${f(r.proxy, 2)} | ${f(r.gold, 3)} | ${f(d, 2)} |`)
      .join('\n');
  }
  const policy = record.models.policy?.weights.means?.data;
  const means = policy ? Array.from({ length: policy.length / 2 }, (_, k) => `(${f(policy[2 * k], 2)}, ${f(policy[2 * k + 1], 2)})`).join(', ') : 'n/a';
  const goldEnd = last(m, 'gold/mean');
  const goldPeak = m.reduce((best, r) => (Number.isFinite(r['gold/mean']) && r['gold/mean'] > best.v ? { v: r['gold/mean'], step: r.step } : best), { v: -Infinity, step: 0 });

  return `# Reward Report: ${e.name}

${e.description}

Written by RLHF Lab ${record.versions.lab} (TensorFlow.js ${record.versions.tfjs}) from checkpoint \`${record.sha256.slice(0, 16)}…\`
of run \`${record.runId}\`, saved ${new Date(record.createdAt).toISOString()}, ${
  record.position.stage === 'done'
    ? `when the run had finished its ${e.schedule.rounds} rounds`
    : `at round ${record.position.round + 1} of ${e.schedule.rounds}, stage \`${record.position.stage}\``
}, after ${record.position.iteration} policy iterations.

## Base model and data
${
  task.kind === 'landscape2d' && land && opt && e.policy.kind === 'gaussian_mixture'
    ? `- Task: \`landscape2d\`, gold reward \`${task.landscape}\` (${land.about}); its optimum is ${f(opt.value)} at (${f(opt.x, 2)}, ${f(opt.y, 2)}).
- Policy: a mixture of ${e.policy.components} diagonal Gaussian(s) over the plane, initialized from the seed at mean
  (${e.policy.init_mean.join(', ')}) with σ = ${e.policy.init_std}. No pretraining data: the reference policy π_ref is the initial policy.
- Component means now: ${means}.`
    : task.kind === 'text'
      ? `- Task: \`text\`, gold reward \`${JSON.stringify(task.gold)}\`; prompts: ${task.prompts.map((p) => JSON.stringify(p)).join(', ')};
  ${task.max_new_tokens} new characters per completion, temperature ${task.temperature}, top-k ${task.top_k}.
- Policy: the lab's shipped base character GPT (\`public/text/base.json\`, pretrained by \`npm run pretrain\` on the lab's
  corpus) with a value head; the reference policy π_ref is that base model, frozen.`
      : task.kind === 'control'
        ? `- Task: \`control\`, environment \`${task.env}\` (true reward: ${task.env === 'cartpole' ? '+1 per step the pole stays up' : '−distance to the goal per step'});
  ${task.segment_steps}-step segments compared; ${task.rollout_steps} environment steps per PPO iteration; ${task.true_reward ? 'PPO on the true reward (no labels): the line to reach' : 'PPO on the learned reward'}.
- Policy: an MLP (${e.policy.kind === 'mlp' ? e.policy.hidden.join(', ') : ''}) with a ${task.env === 'cartpole' ? 'categorical' : 'Gaussian'} head and an MLP value function, from the seed. No reference policy and no KL penalty.`
        : `- Task: \`${task.kind}\`.`
}

## Feedback
- Comparisons: ${record.labels.length} asked; ${counts.a + counts.b} decisive, ${counts.tie} ties, ${counts.skip} skipped
  (${e.schedule.labels_per_round} per round over ${e.schedule.rounds} rounds, on pairs of the current policy's samples).
- Labelers (${e.labelers.length === 1 ? 'one' : `a panel of ${e.labelers.length}, sharing queries by weight`}):
${e.labelers.map((_, i) => `  - #${i}: ${labelerLine(e, i)}`).join('\n')}
- Answers by labeler: ${[...byLabeler].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}.
- Instructions a person is given: ${task.kind === 'text' ? '"pick the completion you prefer"' : task.kind === 'control' ? '"which clip is better?" (keep the pole upright; bring the point to the goal)' : '"compare two points of the plane; brighter on the gold map is better"'}; keys ← / 1 for A,
  → / 2 for B, ↓ tie, Space skip. The exported \`preferences.jsonl\` holds the decisive comparisons.

## Reward model
- Architecture: ${rmArchitecture(e)}.
- Loss: Bradley-Terry, \`L = −log σ(r(chosen) − r(rejected))\` (ties as targets of 0.5); Adam, lr ${e.reward_model.lr},
  ${e.reward_model.steps} steps of ${e.reward_model.batch_size} pairs per round; every ${Math.max(2, Math.round(1 / (e.reward_model.holdout || 1)))}th label held out.
- Held-out accuracy: ${f(last(m, 'rm/accuracy'))} as logged${land ? `; ${decisive ? f(correct / decisive) : 'n/a'} recomputed here on ${decisive} decisive held-out pairs` : ''}.
- Agreement with the gold reward on the policy's own samples: ${f(last(m, 'rm/policy_agreement'))}.
- Normalization: scores are (r − ${f(norm.mean)}) / ${f(norm.std)}, mean 0 and std 1 over policy samples.
${
  land
    ? `- Calibration on held-out pairs (predicted P(a ≻ b) against the labelers' answers):

| predicted | pairs | mean predicted | observed |
| --- | --- | --- | --- |
${calibration}`
    : '- Calibration: not computed in this report for a GPT reward model; load the exported weights to compute it.'
}

## Optimizer and KL
- ${optimizerLine(e)}
- KL coefficient ${klCoef(e) ?? 'none (best-of-n spends KL log n − (n−1)/n)'} (${e.optimizer.algo === 'ppo' && e.optimizer.kl_target !== null ? `adaptive, target ${e.optimizer.kl_target}; now ${f(last(m, 'objective/kl_coef'))}` : 'fixed; no target'}). Final KL(π ‖ π_ref): ${f(last(m, 'objective/kl'))} nats (k1),
  ${f(last(m, 'objective/kl_k3'))} (k3). Final entropy ${f(last(m, 'objective/entropy'))}.

## Gold vs proxy reward
- Gold reward: ${f(first['gold/mean'])} at the start → ${f(goldEnd)} now (peak ${f(goldPeak.v)} at step ${goldPeak.step}${opt ? `; optimum ${f(opt.value)}` : ''}).
- Proxy (reward model, normalized): ${f(first['proxy/mean'])} → ${f(last(m, 'proxy/mean'))}.
${goldEnd !== null && goldPeak.v > goldEnd + 0.05 ? `- **Over-optimization:** gold fell ${f(goldPeak.v - goldEnd)} from its peak while training went on.\n` : ''}
## Known failure cases
${
  land
    ? 'Points of the plane where the reward model scores highest relative to the gold reward (z-scores over a 32×32 grid):'
    : "The policy's latest completions the reward model overrates most relative to the gold reward (z-scores over them):"
}
a policy that finds them is rewarded for what the labelers would not prefer.

| ${land ? 'point' : 'prompt + completion'} | proxy | gold | proxy − gold (z) |
| --- | --- | --- | --- |
${failures || '| n/a | | | |'}

## Reproduce
- Seed ${e.seed}, backend \`${record.backend}\`, RLHF Lab ${record.versions.lab}, TensorFlow.js ${record.versions.tfjs}.
- \`npx rlhf-lab run experiment.json --backend ${record.backend === 'webgl' ? 'cpu' : record.backend}\` reruns it (a human labeler's answers
  are in \`preferences.jsonl\`); same seed and backend give the same numbers.
`;
}

/** One line on the optimizer and its schedule. */
function optimizerLine(e: Experiment): string {
  const o = e.optimizer;
  switch (o.algo) {
    case 'ppo':
      return `PPO with a per-token KL penalty \`r_t = −β·KL_t\` (${o.kl_estimator}), GAE (γ ${o.gamma}, λ ${o.lam}), clip ${o.clip}; Adam lr ${o.lr}, ${o.batch_size} samples per iteration, ${o.iterations} iterations per round.`;
    case 'reinforce':
      return `REINFORCE with a mean baseline on \`R = r(x) − kl_coef·(log π(x) − log π_ref(x))\`; Adam lr ${o.lr}, ${o.batch_size} samples per iteration, ${o.iterations} iterations per round.`;
    case 'dpo':
      return `${o.loss === 'ipo' ? 'IPO' : o.loss === 'cdpo' ? `Conservative DPO (label smoothing ${o.label_smoothing})` : 'DPO'} on the comparisons directly (no reward model); Adam lr ${o.lr}, ${o.batch_size} pairs per step, ${o.iterations} steps per round.`;
    case 'rloo':
      return `RLOO: ${o.k} samples per prompt, each baselined by the mean KL-penalized reward of the other ${o.k - 1}; Adam lr ${o.lr}, ${o.batch_size} samples per iteration, ${o.iterations} iterations per round.`;
    case 'grpo':
      return `GRPO: advantages normalized within groups of ${o.k}, k3 KL as a loss term, clip ${o.clip}; Adam lr ${o.lr}, ${o.batch_size} samples per iteration, ${o.iterations} iterations per round.`;
    case 'best_of_n':
      return `Best-of-n of the reference policy on the reward model for n = ${o.n.join(', ')}, ${o.samples} picks per n.`;
  }
}
