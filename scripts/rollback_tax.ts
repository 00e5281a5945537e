// The robustness tax of iterated RLHF with rollback (README "Ensembles, other optimizers and the over-optimization
// lab", the iterated-rollback measurement): from two sweeps of the same seeds, one with rollback over several rounds
// and one one-shot run on the same number of labels, it prints per seed
//   - gold and rm/policy_agreement (the reward model's agreement with the labeler on the policy's own samples) of each
//     at matched labels (the rollback round whose label count equals the one-shot's), and their differences;
//   - the first rollback round that reaches the one-shot's final agreement and its final gold, with the labels and the
//     policy iterations spent to get there (each round optimizes from the start again, so iterations add up), and
//     the extra over the one-shot's (negative: fewer);
// then the mean, the n − 1 standard deviation, min and max over seeds. Not a test: it reads measured runs.
//   npx tsx scripts/rollback_tax.ts ROLLBACK_SWEEP_DIR ONE_SHOT_SWEEP_DIR
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spread } from '../src/core/analysis/sweep';

/** One row of a run's summary.json `rounds` table. */
export interface RoundRow {
  round: number;
  labels: number;
  gold: number;
  kl: number;
  rm_policy_agreement: number | null;
}

/** A run as the tax reads it: its rounds and the policy iterations each round runs. */
export interface RunRounds {
  rounds: RoundRow[];
  iterationsPerRound: number;
}

/** Labels and cumulative policy iterations at the first round that reaches a level, and the extra over a reference. */
export interface Reach {
  round: number;
  labels: number;
  iterations: number;
  extraLabels: number;
  extraIterations: number;
}

export interface Tax {
  matchedLabels: number;
  goldGap: number;
  agreementGap: number;
  toAgreement: Reach | null;
  toGold: Reach | null;
}

function reach(run: RunRounds, oneShot: RunRounds, ok: (r: RoundRow) => boolean): Reach | null {
  const hit = run.rounds.find(ok);
  if (!hit) return null;
  const base = oneShot.rounds[oneShot.rounds.length - 1];
  const iterations = hit.round * run.iterationsPerRound;
  const baseIterations = oneShot.rounds.length * oneShot.iterationsPerRound;
  return { round: hit.round, labels: hit.labels, iterations, extraLabels: hit.labels - base.labels, extraIterations: iterations - baseIterations };
}

/** The tax of `rollback` against `oneShot` (same seed): rollback − one-shot at matched labels, and what reaching costs. */
export function rollbackTax(rollback: RunRounds, oneShot: RunRounds): Tax {
  const base = oneShot.rounds[oneShot.rounds.length - 1];
  const matched = rollback.rounds.find((r) => r.labels === base.labels);
  if (!matched) throw new Error(`no rollback round has the one-shot's ${base.labels} labels (rounds have ${rollback.rounds.map((r) => r.labels).join(', ')}); give both runs the same total`);
  if (matched.rm_policy_agreement === null || base.rm_policy_agreement === null) throw new Error('rm_policy_agreement is missing: the tax needs a landscape run, whose rounds table records it');
  const baseAgreement = base.rm_policy_agreement;
  return {
    matchedLabels: base.labels,
    goldGap: matched.gold - base.gold,
    agreementGap: matched.rm_policy_agreement - baseAgreement,
    toAgreement: reach(rollback, oneShot, (r) => r.rm_policy_agreement !== null && r.rm_policy_agreement >= baseAgreement),
    toGold: reach(rollback, oneShot, (r) => r.gold >= base.gold),
  };
}

function readSweep(dir: string): Map<number, RunRounds> {
  const cells = join(dir, 'cells');
  if (!existsSync(cells)) throw new Error(`${dir} is not a sweep folder (no cells/): pass the --out of rlhf-lab sweep`);
  const out = new Map<number, RunRounds>();
  for (const cell of readdirSync(cells))
    for (const s of readdirSync(join(cells, cell))) {
      const summary = JSON.parse(readFileSync(join(cells, cell, s, 'summary.json'), 'utf8'));
      out.set(Number(s.replace('seed-', '')), { rounds: summary.rounds, iterationsPerRound: summary.experiment.optimizer.iterations });
    }
  return out;
}

function main(argv: string[]): void {
  if (argv.length !== 2) throw new Error('usage: npx tsx scripts/rollback_tax.ts ROLLBACK_SWEEP_DIR ONE_SHOT_SWEEP_DIR');
  const [rb, one] = argv.map(readSweep);
  const f = (x: number) => x.toFixed(3);
  const rows: Array<{ seed: number; tax: Tax; r: RoundRow; o: RoundRow }> = [];
  for (const [seed, run] of [...rb].sort((a, b) => a[0] - b[0])) {
    const o = one.get(seed);
    if (!o) continue;
    const tax = rollbackTax(run, o);
    rows.push({ seed, tax, r: run.rounds.find((x) => x.labels === tax.matchedLabels)!, o: o.rounds[o.rounds.length - 1] });
  }
  console.log('seed | rollback gold / agreement / KL | one-shot gold / agreement / KL | gold gap | agreement gap | reaches agreement at (labels, iterations) | reaches gold at');
  const at = (x: Reach | null) => (x ? `round ${x.round} (${x.labels}, ${x.iterations})` : 'never');
  for (const { seed, tax, r, o } of rows)
    console.log(`${seed} | ${f(r.gold)} / ${f(r.rm_policy_agreement!)} / ${r.kl.toFixed(1)} | ${f(o.gold)} / ${f(o.rm_policy_agreement!)} / ${o.kl.toFixed(1)} | ${f(tax.goldGap)} | ${f(tax.agreementGap)} | ${at(tax.toAgreement)} | ${at(tax.toGold)}`);
  const show = (name: string, xs: number[]) => {
    if (xs.length === 0) return console.log(`${name}: no seed`);
    const s = spread(xs);
    console.log(`${name}: ${f(s.mean!)} ± ${f(s.std!)} (min ${f(s.min!)}, max ${f(s.max!)}, ${s.n} seeds)`);
  };
  show('rollback gold at matched labels', rows.map((x) => x.r.gold));
  show('one-shot gold', rows.map((x) => x.o.gold));
  show('rollback agreement at matched labels', rows.map((x) => x.r.rm_policy_agreement!));
  show('one-shot agreement', rows.map((x) => x.o.rm_policy_agreement!));
  show('gold gap (rollback − one-shot)', rows.map((x) => x.tax.goldGap));
  show('agreement gap (rollback − one-shot)', rows.map((x) => x.tax.agreementGap));
  for (const [name, pick] of [['agreement', (t: Tax) => t.toAgreement], ['gold', (t: Tax) => t.toGold]] as const) {
    const hit = rows.map((x) => pick(x.tax)).filter((x): x is Reach => x !== null);
    console.log(`to reach the one-shot's ${name}: ${hit.length} of ${rows.length} seeds`);
    show(`  extra labels`, hit.map((x) => x.extraLabels));
    show(`  extra policy iterations`, hit.map((x) => x.extraIterations));
  }
}

if (process.argv[1]?.endsWith('rollback_tax.ts')) main(process.argv.slice(2));
