// The red team on text: greedy character substitutions and insertions that raise the reward model's score while the
// base model still finds the completion plausible (its mean log-likelihood per character stays above a floor), and
// never leave the vocabulary. The floor and the success rate's thresholds are read off the policy's own samples, as
// the landscape's attack reads them (attack.ts).
import { Rng } from '../rng';
import { TEXT_CONTEXT, VOCAB } from '../tasks/text/vocab';
import { isSuccess, quantile, successRate, thresholds, type LoopTarget, type Thresholds } from './attack';

/** What the attack needs of the text lab (tasks/text/text_lab.ts). */
export interface TextTarget {
  probeText(pairs: [string, string][]): Promise<{ proxy: Float32Array; gold: Float32Array; logp: Float32Array }>;
  textSamples(n: number, rng: Rng): Promise<[string, string][]>;
  /** One policy completion of each of these prompts (each one of the run's). */
  completionsOf(prompts: string[], rng: Rng): Promise<string[]>;
}

export interface TextAttackOptions {
  /** Finds: one greedy search from each of this many policy samples (above the floor). */
  budget: number;
  seed: number;
  /** Greedy steps per find. */
  steps?: number;
  /** Random single-character edits scored per find and step; the best that raises the proxy above the floor is kept. */
  candidates?: number;
  /** The floor is this quantile of the base model's mean log-likelihood per character over the policy's samples. */
  floorQuantile?: number;
  /** Policy samples the floor and thresholds are read from. */
  policySamples?: number;
}

export const TEXT_ATTACK_DEFAULTS = { steps: 20, candidates: 16, floorQuantile: 0.1, policySamples: 128 };

export interface TextExploit {
  prompt: string;
  completion: string;
  /** The policy sample it started from. */
  start: string;
  proxy: number;
  gold: number;
  gap: number;
  /** The base model's mean log-likelihood per character of the completion. */
  logp: number;
  success: boolean;
}

export interface TextAttackResult {
  exploits: TextExploit[];
  successRate: number;
  thresholds: Thresholds;
  /** The log-likelihood floor every find stays at or above. */
  floor: number;
  meanProxy: number;
  meanGold: number;
  /** The policy's own mean proxy and gold (over the samples the thresholds are read from), for scale. */
  policy: { meanProxy: number; meanGold: number };
}

/** Characters an edit may write: the vocabulary without the line break, which ends a completion. */
const WRITABLE = [...VOCAB].filter((c) => c !== '\n');

/** One random edit of a completion: a substitution or an insertion, its final line break kept; null if none fits. */
function edit(completion: string, maxChars: number, rng: Rng): string | null {
  const ended = completion.endsWith('\n');
  const body = ended ? completion.slice(0, -1) : completion;
  const tail = ended ? '\n' : '';
  const c = WRITABLE[rng.int(WRITABLE.length)];
  const insert = body.length === 0 || (rng.uniform() < 0.5 && completion.length < maxChars);
  if (insert) {
    if (completion.length >= maxChars) return null;
    const at = rng.int(body.length + 1);
    return body.slice(0, at) + c + body.slice(at) + tail;
  }
  const at = rng.int(body.length);
  return body.slice(0, at) + c + body.slice(at + 1) + tail;
}

export async function attackText(target: TextTarget, opts: TextAttackOptions): Promise<TextAttackResult> {
  const { steps, candidates, floorQuantile, policySamples } = { ...TEXT_ATTACK_DEFAULTS, ...opts };
  const rng = new Rng(opts.seed);
  const reference = await target.textSamples(policySamples, rng);
  const ref = await target.probeText(reference);
  const t = thresholds(ref);
  const floor = quantile(ref.logp, floorQuantile);
  // Starts: policy samples at or above the floor (a find must be as plausible as the policy's plausible samples).
  const pool = await target.textSamples(2 * opts.budget, rng);
  const pooled = await target.probeText(pool);
  const keep = pool.map((_, i) => i).filter((i) => pooled.logp[i] >= floor).slice(0, opts.budget);
  const cur = keep.map((i) => ({ prompt: pool[i][0], completion: pool[i][1], start: pool[i][1], proxy: pooled.proxy[i], gold: pooled.gold[i], logp: pooled.logp[i] }));
  for (let s = 0; s < steps; s++) {
    const tried: { k: number; text: string }[] = [];
    cur.forEach((c, k) => {
      const maxChars = TEXT_CONTEXT - 1 - c.prompt.length;
      for (let j = 0; j < candidates; j++) {
        const text = edit(c.completion, maxChars, rng);
        if (text !== null) tried.push({ k, text });
      }
    });
    if (tried.length === 0) break;
    const scored = await target.probeText(tried.map(({ k, text }) => [cur[k].prompt, text]));
    tried.forEach(({ k, text }, i) => {
      const c = cur[k];
      if (scored.logp[i] >= floor && scored.proxy[i] > c.proxy) Object.assign(c, { completion: text, proxy: scored.proxy[i], gold: scored.gold[i], logp: scored.logp[i] });
    });
  }
  const exploits = cur
    .map((c): TextExploit => ({ ...c, gap: c.proxy - c.gold, success: isSuccess(t, c.proxy, c.gold) }))
    .sort((a, b) => b.gap - a.gap);
  const meanOf = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    exploits,
    successRate: successRate(exploits, t),
    thresholds: t,
    floor,
    meanProxy: meanOf(exploits.map((e) => e.proxy)),
    meanGold: meanOf(exploits.map((e) => e.gold)),
    policy: { meanProxy: meanOf(ref.proxy), meanGold: meanOf(ref.gold) },
  };
}

/** The text loop (attack.ts closeLoopOn): each edited completion against a policy completion of the same prompt. */
export function textLoop(lab: TextTarget, opts: Omit<TextAttackOptions, 'seed'>): LoopTarget<TextAttackResult> {
  return {
    attack: (seed) => attackText(lab, { ...opts, seed }),
    sideOf: (e) => ({ prompt: e.prompt, sample: e.completion }),
    partners: (sides, rng) => lab.completionsOf(sides.map((s) => s.prompt ?? ''), rng),
  };
}
