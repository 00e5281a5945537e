// The golden runs: seeded, shortened experiments of every preset family whose metric rows were recorded with the
// code of the time (scripts/record_golden.ts writes tests/fixtures/golden/<name>.jsonl) and are re-run and compared
// row by row by tests/unit/golden_runs.test.ts. They are the proof that a restructuring of the core (tasks, algos,
// runner) did not change what a run computes. Changing a spec here means recording its fixture again, with the code
// from before the change under test.
import { tf } from '../src/core/tf';
import { preset } from '../src/core/experiment/presets';
import { applyOverrides, type Experiment } from '../src/core/experiment/parse';
import { selectBackend } from '../src/core/backend';
import { Runner, type RunnerOptions } from '../src/core/runner';
import { MemoryStore, keys } from '../src/core/checkpoint/store';
import { loadCheckpoint, type CheckpointRecord, type LatestPointer, type MetricRow } from '../src/core/checkpoint/record';
import { publicAssets } from '../src/cli/fs_assets';

export type GoldenBackend = 'cpu' | 'wasm';

export interface GoldenSpec {
  /** The fixture's file name: tests/fixtures/golden/<name>.jsonl. */
  name: string;
  preset: string;
  backend: GoldenBackend;
  seed: number;
  /** `path=value` overrides, as the CLI's --set. */
  overrides: string[];
}

export const GOLDEN_DIR = 'tests/fixtures/golden';
export const CHECKPOINT_DIR = 'tests/fixtures/checkpoints';

const json = (v: unknown) => JSON.stringify(v);

/** Landscape runs cut to 2 rounds of 40 labels, 30 reward-model steps and 5-8 policy iterations of 64-128 samples. */
const LANDSCAPE_SHORT = [
  'schedule.rounds=2',
  'schedule.labels_per_round=40',
  'reward_model.steps=30',
  'reward_model.batch_size=32',
];
const landscapeOpt = (o: object) => `optimizer=${json(o)}`;

/**
 * Text runs: 40 labels (completions of up to 16 characters, so that most comparisons are decisive and the held-out
 * accuracy is a number), 6 reward-model steps, 2-3 policy iterations of 4 completions.
 */
const TEXT_SHORT = [
  'schedule.rounds=1',
  'schedule.labels_per_round=40',
  'reward_model.steps=6',
  'reward_model.batch_size=4',
  'task.max_new_tokens=16',
];

/** Control runs: 2 rounds of 8 labels, 5 reward-model steps, 2 PPO iterations of 64 (reacher 80) environment steps. */
const CONTROL_SHORT = [
  'schedule.rounds=2',
  'schedule.labels_per_round=8',
  'reward_model.steps=5',
  'reward_model.batch_size=8',
  'optimizer.iterations=2',
];

// Re-recorded since the fixtures of e1d67a7, each with its reason (everything else is as that code wrote it):
// - landscape-dpo, landscape-dpo-ipo: one DPO file for every task (algos/dpo.ts) draws the step's batch first and the
//   evaluation samples after the step, as the text DPO did; the landscape drew them the other way round.
// - control-cartpole, control-reacher (ensembles of 3): one reward-model ensemble for every task
//   (models/reward_ensemble.ts) trains each member with its own Adam and normalizes each member, as the landscape's
//   did; the control ensemble shared one Adam over the members' mean loss and one normalization. A single control
//   reward model gives the same numbers as before.
export const GOLDEN_RUNS: GoldenSpec[] = [
  // ---- landscape, cpu ----
  ...[1, 2].map((seed) => ({
    name: `landscape-reinforce-seed${seed}`,
    preset: 'landscape-hello',
    backend: 'cpu' as const,
    seed,
    overrides: [...LANDSCAPE_SHORT, 'optimizer.iterations=8', 'optimizer.batch_size=128'],
  })),
  {
    name: 'landscape-rloo',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, landscapeOpt({ algo: 'rloo', lr: 0.04, kl_coef: 0.05, k: 4, batch_size: 64, iterations: 5 })],
  },
  {
    name: 'landscape-grpo',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, landscapeOpt({ algo: 'grpo', lr: 0.04, kl_coef: 0.3, k: 4, batch_size: 64, epochs: 2, iterations: 5 })],
  },
  {
    name: 'landscape-dpo',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, landscapeOpt({ algo: 'dpo', lr: 0.04, kl_coef: 0.5, batch_size: 16, eval_samples: 32, iterations: 5 })],
  },
  {
    name: 'landscape-dpo-ipo',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 3,
    overrides: [...LANDSCAPE_SHORT, landscapeOpt({ algo: 'dpo', loss: 'ipo', lr: 0.04, kl_coef: 0.5, batch_size: 16, eval_samples: 16, iterations: 3 })],
  },
  {
    name: 'landscape-best-of-n',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, landscapeOpt({ algo: 'best_of_n', n: [1, 4, 16], samples: 32 })],
  },
  {
    name: 'landscape-ensemble-mean-minus-std',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    overrides: [
      ...LANDSCAPE_SHORT,
      'reward_model.ensemble=3',
      'reward_model.query=disagreement',
      'reward_model.query_candidates=8',
      'reward_model.conservative=mean_minus_std',
      'reward_model.conservative_lambda=2',
      'optimizer.iterations=5',
      'optimizer.batch_size=64',
    ],
  },
  {
    name: 'landscape-ensemble-worst',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 2,
    overrides: [
      ...LANDSCAPE_SHORT,
      'reward_model.ensemble=3',
      'reward_model.bootstrap=false',
      'reward_model.conservative=worst',
      'optimizer.iterations=4',
      'optimizer.batch_size=64',
    ],
  },
  {
    name: 'landscape-decoy',
    preset: 'landscape-decoy',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, 'optimizer.iterations=8', 'optimizer.batch_size=128'],
  },
  {
    name: 'landscape-noisy',
    preset: 'landscape-noisy',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, 'optimizer.iterations=8', 'optimizer.batch_size=128'],
  },
  {
    name: 'iterated-rollback',
    preset: 'iterated-rollback',
    backend: 'cpu',
    seed: 1,
    overrides: [...LANDSCAPE_SHORT, 'schedule.rounds=3', 'optimizer.iterations=8', 'optimizer.batch_size=128'],
  },
  {
    name: 'overopt-landscape',
    preset: 'overopt-landscape',
    backend: 'cpu',
    seed: 1,
    overrides: [
      'schedule.labels_per_round=40',
      'reward_model.steps=30',
      'reward_model.batch_size=32',
      'optimizer.iterations=10',
      'optimizer.batch_size=64',
      'overoptimization.bon_n=[1,4,16,64]',
      'overoptimization.bon_samples=16',
    ],
  },
  // ---- text, wasm ----
  {
    name: 'text-ppo',
    preset: 'text-sentiment-ppo',
    backend: 'wasm',
    seed: 1,
    overrides: [...TEXT_SHORT, 'schedule.rounds=2', 'optimizer.batch_size=4', 'optimizer.minibatches=2', 'optimizer.iterations=3'],
  },
  {
    name: 'text-dpo',
    preset: 'text-sentiment-dpo',
    backend: 'wasm',
    seed: 1,
    overrides: [...TEXT_SHORT, 'schedule.rounds=2', 'optimizer.batch_size=4', 'optimizer.eval_samples=4', 'optimizer.iterations=3'],
  },
  {
    name: 'text-rloo',
    preset: 'text-sentiment-rloo',
    backend: 'wasm',
    seed: 1,
    overrides: [...TEXT_SHORT, 'optimizer.k=2', 'optimizer.batch_size=4', 'optimizer.iterations=3'],
  },
  {
    name: 'text-grpo',
    preset: 'text-sentiment-grpo',
    backend: 'wasm',
    seed: 1,
    overrides: [...TEXT_SHORT, 'optimizer.k=2', 'optimizer.batch_size=4', 'optimizer.epochs=2', 'optimizer.iterations=2'],
  },
  {
    name: 'text-bon',
    preset: 'text-bon',
    backend: 'wasm',
    seed: 1,
    overrides: [...TEXT_SHORT, 'optimizer.n=[1,2,4]', 'optimizer.samples=4'],
  },
  {
    name: 'overopt-text',
    preset: 'overopt-text',
    backend: 'wasm',
    seed: 1,
    overrides: [
      ...TEXT_SHORT,
      'optimizer.batch_size=4',
      'optimizer.minibatches=2',
      'optimizer.iterations=3',
      'overoptimization.bon_n=[1,2,4]',
      'overoptimization.bon_samples=4',
    ],
  },
  // ---- control, cpu ----
  {
    name: 'control-cartpole',
    preset: 'control-cartpole',
    backend: 'cpu',
    seed: 1,
    overrides: [...CONTROL_SHORT, 'task.rollout_steps=64', 'reward_model.query_candidates=4'],
  },
  {
    name: 'control-reacher',
    preset: 'control-reacher',
    backend: 'cpu',
    seed: 1,
    overrides: [...CONTROL_SHORT, 'task.rollout_steps=80', 'reward_model.query_candidates=4'],
  },
  {
    name: 'control-cartpole-true',
    preset: 'control-cartpole-true',
    backend: 'cpu',
    seed: 1,
    overrides: [...CONTROL_SHORT, 'schedule.labels_per_round=0', 'task.rollout_steps=64'],
  },
];

/** The experiment a spec runs: its preset, the overrides, the seed (as `rlhf-lab run PRESET --set ... --seed N`). */
export function goldenExperiment(spec: Pick<GoldenSpec, 'preset' | 'overrides' | 'seed'>): Experiment {
  const base = preset(spec.preset);
  if (!base) throw new Error(`unknown preset ${spec.preset}`);
  // The seed is the spec's own field, applied last: a seed= override would be silently replaced, so it is refused.
  if (spec.overrides.some((o) => /^seed=/.test(o))) throw new Error(`set the seed with the spec's seed field, not an override`);
  return applyOverrides(base, [...spec.overrides, `seed=${spec.seed}`]);
}

let wasmRegistered = false;

/** Selects the backend as the CLI does (strict: no fallback); wasm is registered on first use. */
export async function useBackend(name: GoldenBackend): Promise<void> {
  if (name === 'wasm' && !wasmRegistered) {
    await import('@tensorflow/tfjs-backend-wasm');
    wasmRegistered = true;
  }
  if (tf.getBackend() !== name) await selectBackend(name, true);
}

/** A run's rows without the wall-clock keys (time/...). */
export function withoutTime(row: MetricRow): MetricRow {
  const out: MetricRow = {};
  for (const [k, v] of Object.entries(row)) if (!k.startsWith('time/')) out[k] = v;
  return out;
}

/**
 * The runner's options for a golden run: a MemoryStore, the shipped assets, a fixed run id, and the fused kernels off:
 * the rows were recorded on tf ops, and the wasm fused kernels compute the same functions in another order of float
 * operations (a GPT's losses within 1e-5: tests/unit/wasm_rows.test.ts).
 */
export function runnerOptions(runId: string, backend: GoldenBackend, store = new MemoryStore()): RunnerOptions {
  return { store, runId, backend, assets: publicAssets, fused: false };
}

/** Runs a spec in-process to the end; its metric rows (as emitted, time/ keys dropped). Disposes the runner. */
export async function runGolden(spec: GoldenSpec): Promise<MetricRow[]> {
  await useBackend(spec.backend);
  const rows: MetricRow[] = [];
  const runner = await Runner.create(goldenExperiment(spec), {
    ...runnerOptions(spec.name, spec.backend),
    hooks: { onMetrics: (row) => rows.push(withoutTime(row)) },
  });
  try {
    await runner.run();
    if (runner.status !== 'done') throw new Error(`${spec.name}: ended ${runner.status}${runner.error ? ` (${runner.error})` : ''}`);
  } finally {
    runner.dispose();
  }
  return rows;
}

// ---- schema-2 checkpoint fixtures --------------------------------------------------------------------------------

export interface CheckpointSpec extends GoldenSpec {
  /** The record is the checkpoint saved at the end of this round (1-based), of a run with one round more. */
  savedAfterRound: number;
}

/**
 * Small runs (narrow networks, few labels) of 2 rounds, saved at the end of round 1 by today's code: the records a
 * schema-2 user has stored. tests/unit/schema2_fixtures.test.ts resumes each for its second round and compares the
 * rows to <name>-resume.jsonl.
 */
export const CHECKPOINT_RUNS: CheckpointSpec[] = [
  {
    name: 'schema2-landscape-ensemble',
    preset: 'landscape-hello',
    backend: 'cpu',
    seed: 1,
    savedAfterRound: 1,
    overrides: [
      'schedule.rounds=2',
      'schedule.labels_per_round=20',
      'reward_model.hidden=[16,16]',
      'reward_model.steps=15',
      'reward_model.batch_size=16',
      'reward_model.ensemble=3',
      'reward_model.query=disagreement',
      'reward_model.query_candidates=8',
      'reward_model.conservative=mean_minus_std',
      'optimizer.iterations=4',
      'optimizer.batch_size=64',
    ],
  },
  {
    name: 'schema2-control-ensemble',
    preset: 'control-cartpole',
    backend: 'cpu',
    seed: 1,
    savedAfterRound: 1,
    overrides: [
      'schedule.rounds=2',
      'schedule.labels_per_round=8',
      'task.rollout_steps=64',
      'reward_model.hidden=[16,16]',
      'reward_model.steps=5',
      'reward_model.batch_size=8',
      'reward_model.ensemble=2',
      'reward_model.query_candidates=4',
      'policy.hidden=[16,16]',
      'optimizer.iterations=2',
    ],
  },
];

/**
 * Runs a checkpoint spec to the end and returns the checkpoint the runner saved as round `savedAfterRound` ended (the
 * stage-boundary checkpoint at the start of the next round's labels), as stored: schema 2, with its SHA-256.
 */
export async function recordAfterRound(spec: CheckpointSpec): Promise<CheckpointRecord> {
  await useBackend(spec.backend);
  const store = new MemoryStore();
  let saved: CheckpointRecord | null = null;
  const runner = await Runner.create(goldenExperiment(spec), {
    ...runnerOptions(spec.name, spec.backend, store),
    hooks: {
      onCheckpoint: ({ position }) => {
        if (saved || position.round !== spec.savedAfterRound || position.stage !== 'label' || position.stageStep !== 0) return;
        // The record the store holds now (MemoryStore keeps its own copy), before later checkpoints rotate it out.
        const pointer = store.map.get(keys.latest(spec.name)) as LatestPointer;
        saved = structuredClone(store.map.get(keys.checkpoint(spec.name, pointer.n)) as CheckpointRecord);
      },
    },
    // A fixed clock: no timed checkpoint in between, and the same createdAt and label times every time it is written.
    now: () => 0,
  });
  try {
    await runner.run();
  } finally {
    runner.dispose();
  }
  if (!saved) throw new Error(`${spec.name}: no checkpoint was saved at the start of round ${spec.savedAfterRound + 1}`);
  return saved;
}

/** Loads a stored record the way the lab does (loadCheckpoint: SHA-256, migrations), resumes it to the end; its new rows. */
export async function resumeRecord(spec: CheckpointSpec, stored: unknown): Promise<MetricRow[]> {
  await useBackend(spec.backend);
  const store = new MemoryStore();
  const runId = (stored as CheckpointRecord).runId;
  const pointer: LatestPointer = { n: 0, kept: [0], name: spec.name, updatedAt: 0 };
  await store.setMany([
    [keys.checkpoint(runId, 0), stored],
    [keys.latest(runId), pointer],
  ]);
  const loaded = await loadCheckpoint(store, runId);
  if (!loaded) throw new Error(`${spec.name}: the fixture did not load`);
  if (loaded.notice) throw new Error(`${spec.name}: ${loaded.notice}`);
  const rows: MetricRow[] = [];
  const runner = await Runner.fromRecord(loaded.record, {
    ...runnerOptions(runId, spec.backend, store),
    hooks: { onMetrics: (row) => rows.push(withoutTime(row)) },
    now: () => 0,
  });
  try {
    await runner.run();
    if (runner.status !== 'done') throw new Error(`${spec.name}: resumed run ended ${runner.status}${runner.error ? ` (${runner.error})` : ''}`);
  } finally {
    runner.dispose();
  }
  return rows;
}

// ---- comparing rows ----------------------------------------------------------------------------------------------

/**
 * Relative tolerance of the comparison: 0, every value must be the same double. A maintainer whose change must
 * reorder a summation (and can say why) may raise it, to 1e-6 at most: a larger difference is a change of behaviour,
 * not of rounding. Counts, steps and rounds are integers and stay exact at any tolerance up to 1e-6. NaN equals NaN;
 * 0 and -0 are equal.
 */
export const GOLDEN_RTOL = 0;

/**
 * Keys compared within a tolerance of their own, each with its reason:
 * - `objective/kl_k3`: one algorithm file now measures the sampled methods' KL for every task (algos/kl.ts rowKl):
 *   each sample's k3 from the float64 log-ratio, rounded to float32 before the sum, as the text task always did. The
 *   landscape used to take k3 of the float32-rounded log-ratio; its rows differ by about 1e-8 relative. A metric
 *   only: nothing trains on it.
 */
export const KEY_RTOL: Record<string, number> = { 'objective/kl_k3': 1e-6 };

/**
 * Keys a run may log that its fixture lacks: the landscape's REINFORCE, RLOO and GRPO now log their policy loss and
 * GRPO its clip fraction, as the text task did (one algorithm file per method logs the same keys on every task); GRPO
 * logs TRL's clip ratios by side, the share of groups whose rewards tie, and (text) the mean completion length of
 * positive- and negative-advantage completions (issue 17).
 */
export const ADDED_KEYS = new Set([
  'loss/policy',
  'policy/clipfrac',
  'clip_ratio/low_mean',
  'clip_ratio/high_mean',
  'clip_ratio/region_mean',
  'frac_reward_zero_std',
  'completions/mean_length_pos_adv',
  'completions/mean_length_neg_adv',
  // the number of held-out pairs behind rm/accuracy (issue 15)
  'rm/heldout',
  // the reward model's agreement with gold on the text policy's own sample pairs, as the landscape logs it (issue 17:
  // the proxy-gold divergence monitor reads it)
  'rm/policy_agreement',
]);

const same = (a: unknown, b: unknown, rtol: number) => {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    if (a === b) return true;
    return rtol > 0 && Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= rtol * Math.max(Math.abs(a), Math.abs(b));
  }
  return a === b;
};

const show = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v));

/** Every difference between the expected rows and a run's, each naming the run, the row and the key (empty: none). */
export function diffRows(run: string, expected: MetricRow[], actual: MetricRow[], rtol = GOLDEN_RTOL): string[] {
  const out: string[] = [];
  if (expected.length !== actual.length) out.push(`${run}: ${actual.length} rows, the fixture has ${expected.length}`);
  for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    const where = `${run}: row ${i} (step ${show(e.step)}, round ${show(e.round)})`;
    for (const k of Object.keys(e)) {
      if (!(k in a)) out.push(`${where}, key "${k}": missing (fixture ${show(e[k])})`);
      else if (!same(e[k], a[k], Math.max(rtol, KEY_RTOL[k] ?? 0))) out.push(`${where}, key "${k}": expected ${show(e[k])}, got ${show(a[k])}`);
    }
    for (const k of Object.keys(a)) if (!(k in e) && !ADDED_KEYS.has(k)) out.push(`${where}, key "${k}": not in the fixture (got ${show(a[k])})`);
  }
  return out;
}

// ---- the fixtures' row encoding ----------------------------------------------------------------------------------

/**
 * One row per line, every number the f64 the row holds (JSON writes the shortest text that reads back to the same
 * double). JSON has no NaN or ±Infinity: those are written as the strings "NaN", "Infinity" and "-Infinity".
 */
export function encodeRows(rows: MetricRow[]): string {
  return rows.map((row) => JSON.stringify(row, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))).join('\n') + '\n';
}

export function decodeRows(text: string): MetricRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map(
      (l) =>
        JSON.parse(l, (_k, v) => (v === 'NaN' ? Number.NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v)) as MetricRow,
    );
}
