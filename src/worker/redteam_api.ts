// The worker's red-team and inspection calls on the open run: the probe and the attack (landscape, control, text), the loop
// that labels the finds, and the token inspector (text). lab.worker.ts spreads these into its API.
import type { Runner } from '../core/runner';
import type { Sample } from '../core/feedback/labelers';
import type { PointTarget, Side, Thresholds } from '../core/redteam/attack';
import { loopAttackOf } from '../core/redteam/registry';
import { lastMetric } from '../core/checkpoint/record';
import { Rng } from '../core/rng';
import type { TokenInspection } from '../core/tasks/text/inspect';

/** What the reward model and the gold reward say of a probed point (the red team's probe). */
export interface ProbeResult {
  x: number;
  y: number;
  /** The reward the policy sees (normalized; an ensemble's conservative score). */
  proxy: number;
  /** Each member's normalized score (one for a single model). */
  members: number[];
  gold: number;
  /** proxy − gold, as the reward-hacking panel ranks samples. */
  gap: number;
}

/** One attack on the open run's reward model, as the tab shows it (redteam/registry.ts: points or clips). */
export interface AttackSummary {
  successRate: number;
  meanProxy: number;
  meanGold: number;
  thresholds: Thresholds;
  /** The finds, largest gap first: each a point of the landscape, a perturbed control clip or an edited completion of its prompt. */
  exploits: { prompt?: string; sample: Sample; proxy: number; gold: number; gap: number; success: boolean }[];
  /** The run's labels (skips not counted) when the attack ran: the loop's x axis. */
  labels: number;
}

/** The open run's lab where it can be probed at points (the landscape), else null. */
function pointLab(runner: Runner | null): PointTarget | null {
  const lab = runner?.lab as Partial<PointTarget> | undefined;
  return lab?.probe && lab.policySamples ? (lab as PointTarget) : null;
}

/** What these calls need of the worker: the open run, and a way to send the page what changed. */
export interface RunHost {
  runner(): Runner | null;
  changed(): void;
}

export function redteamApi(host: RunHost) {
  return {
  // ---- the red team's probe (landscape): one point, cheap enough to call on every drag -----------------------

  /** The proxy (each member's too), gold and gap at (x, y), or null where the run's task has no points to probe. */
  async probe(x: number, y: number): Promise<ProbeResult | null> {
    const lab = pointLab(host.runner());
    if (!lab) return null;
    const { members, proxy, gold } = await lab.probe(Float32Array.of(x, y));
    return { x, y, proxy: proxy[0], members: members.map((m) => m[0]), gold: gold[0], gap: proxy[0] - gold[0] };
  },

  /** The red team's attack on the open run's reward model (the task's search, redteam/registry.ts), or null where it has none in the tab. */
  async attack(budget: number, seed: number): Promise<AttackSummary | null> {
    const r = host.runner();
    const loop = r && loopAttackOf(r.experiment);
    if (!r || !loop) return null;
    const target = loop.target(r.lab, { budget });
    const a = await target.attack(seed);
    return {
      successRate: a.successRate,
      meanProxy: a.meanProxy,
      meanGold: a.meanGold,
      thresholds: a.thresholds,
      exploits: a.exploits.map((x) => ({ ...target.sideOf(x), proxy: x.proxy, gold: x.gold, gap: x.gap, success: x.success })),
      labels: r.labels.filter((l) => l.answer !== 'skip').length,
    };
  },

  /** Close the loop: each find (a point, a clip, a completion) as a comparison against a policy sample (of its prompt), as addProbe does. */
  async labelFinds(finds: Side[]): Promise<'asked' | 'queued' | 'finished' | null> {
    const r = host.runner();
    const loop = r && loopAttackOf(r.experiment);
    if (!r || !loop || finds.length === 0) return null;
    const partners = await loop.target(r.lab, { budget: finds.length }).partners(finds, new Rng((r.experiment.seed ^ (r.labels.length + 7) * 0x85eb) >>> 0));
    // With a person being asked each call shows its pair and puts the one shown before it next: go from the last find,
    // so the first is shown and the rest follow in order; otherwise each joins the queue's end.
    const order = finds.map((_, i) => i);
    if (r.pendingPair) order.reverse();
    let how: 'asked' | 'queued' | 'finished' = 'queued';
    for (const i of order) how = r.addComparison({ ...(finds[i].prompt !== undefined ? { prompt: finds[i].prompt } : {}), a: finds[i].sample, b: partners[i] });
    host.changed();
    return how;
  },

  /** The probed point as a comparison against a policy sample: asked now when a person is being asked, else queued. */
  async addProbe(x: number, y: number): Promise<'asked' | 'queued' | 'finished' | null> {
    const lab = pointLab(host.runner());
    const r = host.runner();
    if (!lab || !r) return null;
    const s = await lab.policySamples(1, new Rng((r.experiment.seed ^ (r.labels.length + 1) * 0x9e37) >>> 0));
    const how = r.addComparison({ a: [x, y], b: [s[0], s[1]] });
    host.changed();
    return how;
  },

  // ---- the token inspector (text): one sample, token by token, under the open run's current models ----------

  /** Null where the open run is not a text run. β is the run's current one (adapted, where a controller adapts it). */
  async inspectText(prompt: string, completion: string): Promise<TokenInspection | null> {
    const r = host.runner();
    const lab = r?.lab as { inspect?: (p: string, c: string, beta: number) => Promise<TokenInspection> } | undefined;
    if (!r || !lab?.inspect) return null;
    return lab.inspect(prompt, completion, lastMetric(r.metrics, 'objective/kl_coef') ?? 0);
  },
  };
}
