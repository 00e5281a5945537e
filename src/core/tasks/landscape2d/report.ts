// The landscape task in a Reward Report: the reward model is small enough to evaluate here (plain JS), for its
// calibration on held-out pairs and for the places of the plane where it and the gold reward disagree most.
import { sigmoid, splitLabels, targetOf } from '../../feedback/labelers';
import type { Weights } from '../../models/params';
import { mlpHost, type MlpShape } from '../../models/mlp_host';
import { landscape, gridPoints, goldOptimum, EXTENT, type LandscapeName } from './landscape';
import type { Experiment } from '../../experiment/parse';
import { fmt as f, overrated, type TaskReport } from '../report';

/** The landscape reward model r_θ(x, y) in plain JS (mlp.ts, same layout). */
export function mlpScore(weights: Weights, spec: Record<string, unknown>, x: number, y: number): number {
  const s = spec as unknown as MlpShape;
  return mlpHost({ ...s, input_scale: s.input_scale ?? EXTENT }, weights, [x, y])[0];
}

const landOf = ({ experiment }: { experiment: Experiment }) => landscape((experiment.task as { landscape: LandscapeName }).landscape);

export const landscapeReport: TaskReport = {
  architecture: ({ experiment: e }) =>
    `MLP ${[2, ...e.reward_model.hidden, 1].join(' → ')}, ${e.reward_model.activation}, inputs divided by ${EXTENT}; an ensemble of ${e.reward_model.ensemble}`,
  data(record) {
    const e = record.experiment;
    const land = landOf(record);
    const opt = goldOptimum(land);
    const p = e.policy as { components: number; init_mean: number[]; init_std: number };
    const means = record.models.policy?.weights.means?.data;
    const now = means ? Array.from({ length: means.length / 2 }, (_, k) => `(${f(means[2 * k], 2)}, ${f(means[2 * k + 1], 2)})`).join(', ') : 'n/a';
    return `- Task: \`landscape2d\`, gold reward \`${(e.task as { landscape: string }).landscape}\` (${land.about}); its optimum is ${f(opt.value)} at (${f(opt.x, 2)}, ${f(opt.y, 2)}).
- Policy: a mixture of ${p.components} diagonal Gaussian(s) over the plane, initialized from the seed at mean
  (${p.init_mean.join(', ')}) with σ = ${p.init_std}. No pretraining data: the reference policy π_ref is the initial policy.
- Component means now: ${now}.`;
  },
  instructions: '"compare two points of the plane; brighter on the gold map is better"',
  optimum: (experiment) => goldOptimum(landOf({ experiment })).value,
  heldOutPredictions(record) {
    const rm = record.models.reward_model;
    if (!rm) return [];
    const r = (pt: [number, number]) => mlpScore(rm.weights, rm.spec, ...pt);
    return splitLabels(record.labels, record.experiment.reward_model.holdout).heldOut.map((l) => ({
      p: sigmoid(r(l.a as [number, number]) - r(l.b as [number, number])),
      y: targetOf(l.answer)!,
    }));
  },
  failures(record) {
    const intro = 'Points of the plane where the reward model scores highest relative to the gold reward (z-scores over a 32×32 grid):';
    const rm = record.models.reward_model;
    if (!rm) return { intro, column: 'point', rows: [] };
    const norm = (rm.spec.norm as { mean: number; std: number } | undefined) ?? { mean: 0, std: 1 };
    const land = landOf(record);
    const pts = gridPoints(32);
    const n = pts.length / 2;
    const proxy = Float64Array.from({ length: n }, (_, i) => (mlpScore(rm.weights, rm.spec, pts[2 * i], pts[2 * i + 1]) - norm.mean) / norm.std);
    const gold = Float64Array.from({ length: n }, (_, i) => land.gold(pts[2 * i], pts[2 * i + 1]));
    const rows = overrated(proxy, gold).map(({ i, d }) => `| (${f(pts[2 * i], 2)}, ${f(pts[2 * i + 1], 2)}) | ${f(proxy[i], 2)} | ${f(gold[i], 3)} | ${f(d, 2)} |`);
    return { intro, column: 'point', rows };
  },
};
