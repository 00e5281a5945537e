// Whose preferences does a pooled reward model follow? A class's labels train one reward model per labeler (or per
// group the educator names) and one on all of them pooled, each the task's own reward model fit the way a run fits
// it (redteam/attack.ts refitRewardModel: the runner's Bradley-Terry steps, nothing held out). Every pair the class
// labeled is then scored by every model as P(a ≻ b) = σ(r(a) − r(b)) (RLHF.md), and the lab reports
//   - per group: how often the pooled model orders a pair the way the group's model does, the mean gap between
//     their P, and how often the pooled model agrees with the group's own decisive answers;
//   - the pairs where the groups' models disagree most (the spread of their P), with the group the pooled P is
//     closest to: whose preferences won there.
// The pooled model follows whoever labeled most, and a majority that agrees; these figures make that visible.
import type { Experiment } from '../experiment/parse';
import type { Label, Sample } from './labelers';
import { sigmoid, targetOf } from './labelers';
import { Rng } from '../rng';
import { taskOf, type LabHost } from '../tasks/registry';
import { refitRewardModel } from '../redteam/attack';
import { pairAccuracy } from '../algos/reward';

/** One group's labels: a labeler's, or several labelers' under the name an educator gave them. */
export interface LabelGroup {
  name: string;
  labels: readonly Label[];
}

export interface GroupFigures {
  name: string;
  /** Decisive answers and ties the group's model was fit on. */
  labels: number;
  /** Share of scored pairs the pooled model orders as this group's model does (pairs either scores as even left out). */
  order_agreement: number | null;
  /** Mean |P_pooled − P_group| over the scored pairs. */
  mean_gap: number;
  /** How often the pooled model ranks first the side this group's decisive answers chose. */
  pooled_on_their_labels: number | null;
  /** The same for the group's own model (how well it learned them). */
  own_on_their_labels: number | null;
}

export interface DisputedPair {
  prompt: string;
  /** The two sides, as the task's samples (a point, a completion, a clip). */
  a: Sample;
  b: Sample;
  /** P(a ≻ b) under each group's model, by group name. */
  by_group: Record<string, number>;
  pooled: number;
  /** max − min of the groups' P. */
  spread: number;
  /** The group whose P the pooled model's is closest to. */
  follows: string;
}

export interface WhosePreferences {
  groups: GroupFigures[];
  /** Pairs scored: every distinct pair the class labeled. */
  pairs: number;
  /** The most disputed pairs, most disputed first. */
  disputed: DisputedPair[];
  /** Reward-model steps each model took. */
  steps: number;
}

export interface WhoseOptions {
  seed: number;
  /** How many disputed pairs to list (8). */
  top?: number;
  /** Called after each model is fit: models done, models in all. */
  onProgress?: (done: number, total: number) => void;
}

/** The pairs of the labels, once each however often and in whichever order they were shown. */
function distinctPairs(labels: readonly Label[]): Label[] {
  const seen = new Map<string, Label>();
  for (const l of labels) {
    const [x, y] = [JSON.stringify(l.a), JSON.stringify(l.b)];
    const key = JSON.stringify([l.prompt ?? '', ...(x < y ? [x, y] : [y, x])]);
    if (!seen.has(key)) seen.set(key, x < y ? l : { ...l, a: l.b, b: l.a });
  }
  return [...seen.values()];
}

/** Fits a fresh reward model of the experiment's task on the labels and gives P(a ≻ b) on each pair, and its accuracy on the labels. */
async function fitAndScore(e: Experiment, labels: readonly Label[], pairs: Label[], seed: number, host: LabHost, check: readonly Label[][]) {
  const rng = new Rng(seed);
  const lab = await taskOf(e.task).create(e, rng, host);
  try {
    await refitRewardModel(lab, e, [...labels], rng);
    const { a, b } = await lab.rewardScores(pairs);
    const p = Array.from(a, (ra, i) => sigmoid(ra - b[i]));
    const accuracies: (number | null)[] = [];
    for (const own of check) {
      const decisive = own.filter((l) => l.answer === 'a' || l.answer === 'b');
      if (!decisive.length) {
        accuracies.push(null);
        continue;
      }
      const s = await lab.rewardScores(decisive);
      accuracies.push(pairAccuracy(s.a, s.b, decisive.map((l) => targetOf(l.answer)!)));
    }
    return { p, accuracies };
  } finally {
    lab.dispose();
  }
}

export async function whosePreferences(e: Experiment, groups: readonly LabelGroup[], opts: WhoseOptions, host: LabHost = {}): Promise<WhosePreferences> {
  const usable = groups.map((g) => ({ name: g.name, labels: g.labels.filter((l) => targetOf(l.answer) !== null) })).filter((g) => g.labels.length > 0);
  if (usable.length < 2) throw new Error(`a reward model per group needs two or more groups with answers; ${usable.length === 1 ? `only "${usable[0].name}" has any` : 'none has any'}`);
  const names = new Set<string>();
  for (const g of usable) {
    if (names.has(g.name)) throw new Error(`two groups are both named "${g.name}"; give each group its own name`);
    names.add(g.name);
  }
  // Every label counts toward each model: nothing is held out.
  const fitE: Experiment = { ...e, reward_model: { ...e.reward_model, holdout: 0 } };
  const all = usable.flatMap((g) => g.labels);
  const pairs = distinctPairs(all);
  const total = usable.length + 1;
  const own: { p: number[]; accuracy: number | null }[] = [];
  for (const [i, g] of usable.entries()) {
    const r = await fitAndScore(fitE, g.labels, pairs, opts.seed + 1 + i, host, [g.labels]);
    own.push({ p: r.p, accuracy: r.accuracies[0] });
    opts.onProgress?.(i + 1, total);
  }
  const pooled = await fitAndScore(fitE, all, pairs, opts.seed, host, usable.map((g) => g.labels));
  opts.onProgress?.(total, total);

  const groupsOut: GroupFigures[] = usable.map((g, gi) => {
    let same = 0;
    let counted = 0;
    let gap = 0;
    for (let k = 0; k < pairs.length; k++) {
      const [pg, pp] = [own[gi].p[k], pooled.p[k]];
      gap += Math.abs(pg - pp);
      if (pg === 0.5 || pp === 0.5) continue;
      counted++;
      if (pg > 0.5 === pp > 0.5) same++;
    }
    return {
      name: g.name,
      labels: g.labels.length,
      order_agreement: counted ? same / counted : null,
      mean_gap: pairs.length ? gap / pairs.length : 0,
      pooled_on_their_labels: pooled.accuracies[gi],
      own_on_their_labels: own[gi].accuracy,
    };
  });

  const disputed: DisputedPair[] = pairs.map((l, k) => {
    const byGroup: Record<string, number> = {};
    let [lo, hi, follows, nearest] = [1, 0, usable[0].name, Infinity];
    for (const [gi, g] of usable.entries()) {
      const p = own[gi].p[k];
      byGroup[g.name] = p;
      [lo, hi] = [Math.min(lo, p), Math.max(hi, p)];
      if (Math.abs(p - pooled.p[k]) < nearest) [follows, nearest] = [g.name, Math.abs(p - pooled.p[k])];
    }
    return { prompt: l.prompt ?? '', a: l.a, b: l.b, by_group: byGroup, pooled: pooled.p[k], spread: hi - lo, follows };
  });
  disputed.sort((x, y) => y.spread - x.spread);
  return { groups: groupsOut, pairs: pairs.length, disputed: disputed.slice(0, opts.top ?? 8), steps: e.reward_model.steps };
}
