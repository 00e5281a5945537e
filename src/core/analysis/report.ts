// REWARD_REPORT.md: what RLHF.md's "Transparency" section asks a run to disclose, filled from its checkpoint.
// Plain TypeScript (no tfjs). What only a task can say (its data, its reward model, its failure cases, calibration
// where its reward model runs without tfjs) comes from its entry in tasks/registry.ts; the optimizer's line from
// algos/registry.ts.
import { klCoef, type Experiment } from '../experiment/parse';
import { lastMetric as last, type CheckpointRecord } from '../checkpoint/record';
import { algorithmOf } from '../algos/registry';
import { taskOf } from '../tasks/registry';
import { fmt as f } from '../tasks/report';

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
  const report = taskOf(e.task).report;
  const optimum = report.optimum?.(e) ?? null;
  const counts = { a: 0, b: 0, tie: 0, skip: 0, up: 0, down: 0 };
  const byLabeler = new Map<string, number>();
  for (const l of record.labels) {
    counts[l.answer] += 1;
    byLabeler.set(l.labeler, (byLabeler.get(l.labeler) ?? 0) + 1);
  }

  // Calibration on the held-out labels: predicted P(a ≻ b) = σ(r(a) − r(b)) against what the labelers said.
  const predictions = report.heldOutPredictions?.(record) ?? null;
  const bins = Array.from({ length: 5 }, () => ({ n: 0, p: 0, y: 0 }));
  let correct = 0;
  let decisive = 0;
  for (const { p, y } of predictions ?? []) {
    if (!Number.isFinite(p)) continue; // a reward model that diverged scores nothing
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
  const calibration = bins
    .map((b, i) => `| ${(i / 5).toFixed(1)}–${((i + 1) / 5).toFixed(1)} | ${b.n} | ${b.n ? f(b.p / b.n, 2) : '–'} | ${b.n ? f(b.y / b.n, 2) : '–'} |`)
    .join('\n');
  const failures = report.failures(record);
  const klTarget = algorithmOf(e.optimizer).klTarget?.(e.optimizer).target ?? null;
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
${report.data(record)}

## Feedback
- Comparisons: ${record.labels.length} asked; ${counts.a + counts.b} decisive, ${counts.tie} ties, ${counts.skip} skipped${counts.up + counts.down ? `; thumbs: ${counts.up} up, ${counts.down} down` : ''}
  (${e.schedule.labels_per_round} per round over ${e.schedule.rounds} rounds, on pairs of the current policy's samples).
- Labelers (${e.labelers.length === 1 ? 'one' : `a panel of ${e.labelers.length}, sharing queries by weight`}):
${e.labelers.map((_, i) => `  - #${i}: ${labelerLine(e, i)}`).join('\n')}
- Answers by labeler: ${[...byLabeler].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}.
- Instructions a person is given: ${report.instructions}; keys ← / 1 for A,
  → / 2 for B, ↓ tie, Space skip. The exported \`preferences.jsonl\` holds the decisive comparisons.

## Reward model
- Architecture: ${report.architecture(record)}.
- Loss: Bradley-Terry, \`L = −log σ(r(chosen) − r(rejected))\` (ties as targets of 0.5); Adam, lr ${e.reward_model.lr},
  ${e.reward_model.steps} steps of ${e.reward_model.batch_size} pairs per round; every ${Math.max(2, Math.round(1 / (e.reward_model.holdout || 1)))}th label held out.
- Held-out accuracy: ${f(last(m, 'rm/accuracy'))} as logged${predictions ? `; ${decisive ? f(correct / decisive) : 'n/a'} recomputed here on ${decisive} decisive held-out pairs` : ''}.
- Agreement with the gold reward on the policy's own samples: ${f(last(m, 'rm/policy_agreement'))}.
- Normalization: scores are (r − ${f(norm.mean)}) / ${f(norm.std)}, mean 0 and std 1 over policy samples.
${
  predictions
    ? `- Calibration on held-out pairs (predicted P(a ≻ b) against the labelers' answers):

| predicted | pairs | mean predicted | observed |
| --- | --- | --- | --- |
${calibration}`
    : '- Calibration: not computed in this report for this reward model; load the exported weights to compute it.'
}

## Optimizer and KL
- ${algorithmOf(e.optimizer).describe(e.optimizer)}
- KL coefficient ${klCoef(e) ?? (algorithmOf(e.optimizer).sweepsN ? 'none (best-of-n spends KL log n − (n−1)/n)' : `none (${algorithmOf(e.optimizer).title(e.optimizer)} has no reference model in its loss; the KL below is measured, not constrained)`)} (${klTarget !== null ? `adaptive, target ${klTarget}; now ${f(last(m, 'objective/kl_coef'))}` : 'fixed; no target'}). Final KL(π ‖ π_ref): ${f(last(m, 'objective/kl'))} nats (k1),
  ${f(last(m, 'objective/kl_k3'))} (k3). Final entropy ${f(last(m, 'objective/entropy'))}.

## Gold vs proxy reward
- Gold reward: ${f(first['gold/mean'])} at the start → ${f(goldEnd)} now (peak ${f(goldPeak.v)} at step ${goldPeak.step}${optimum !== null ? `; optimum ${f(optimum)}` : ''}).
- Proxy (reward model, normalized): ${f(first['proxy/mean'])} → ${f(last(m, 'proxy/mean'))}.
${goldEnd !== null && goldPeak.v > goldEnd + 0.05 ? `- **Over-optimization:** gold fell ${f(goldPeak.v - goldEnd)} from its peak while training went on.\n` : ''}
## Known failure cases
${failures.intro}
a policy that finds them is rewarded for what the labelers would not prefer.

| ${failures.column} | proxy | gold | proxy − gold (z) |
| --- | --- | --- | --- |
${failures.rows.join('\n') || '| n/a | | | |'}

## Reproduce
- Seed ${e.seed}, backend \`${record.backend}\`, RLHF Lab ${record.versions.lab}, TensorFlow.js ${record.versions.tfjs}.
- \`npx rlhf-lab run experiment.json --backend ${record.backend === 'webgl' ? 'cpu' : record.backend}\` reruns it (a human labeler's answers
  are in \`preferences.jsonl\`); same seed and backend give the same numbers.
`;
}
