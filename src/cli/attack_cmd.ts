// rlhf-lab attack RUN_DIR|export.zip: red-teams a finished run's reward model with the core's attack
// (redteam/attack.ts, text_attack.ts, segment_attack.ts; the code the tab runs): exploits.jsonl (every find: the
// point, completion or clip, its proxy, gold, gap)
// and summary.json (the success rate, mean proxy and gold of the finds, and with --rounds the loop's rate per round
// against the labels it spent). Exit 2 with the reason for a missing or damaged run or a task not attacked yet.
import { readArgs } from './args';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { readBundle } from '../core/checkpoint/import';
import { modelStates, verifyRecord, type CheckpointRecord } from '../core/checkpoint/record';
import { taskOf } from '../core/tasks/registry';
import { closeLoopOn, ATTACK_DEFAULTS, type AttackCore, type LoopRound } from '../core/redteam/attack';
import { TEXT_ATTACK_DEFAULTS } from '../core/redteam/text_attack';
import { SEGMENT_ATTACK_DEFAULTS } from '../core/redteam/segment_attack';
import { loopAttackOf } from '../core/redteam/registry';
import { tf } from '../core/tf';
import { decodeJson } from './fs_store';
import { publicAssets } from './fs_assets';

export const ATTACK_USAGE = `  rlhf-lab attack RUN_DIR|export.zip   search for samples the run's reward model overrates (landscape, text, control)
      --budget N                       finds per attack: one search from each of N policy samples (default 64)
      --seed S                         the attack's seed (default 1)
      --steps N                        search steps per find: landscape gradient ascent (default ${ATTACK_DEFAULTS.steps}), text
                                       greedy edits (default ${TEXT_ATTACK_DEFAULTS.steps}), control greedy clip perturbations
                                       (default ${SEGMENT_ATTACK_DEFAULTS.steps})
      --rounds R                       close the loop R times: label the finds (the run's simulated labeler, each
                                       against a policy sample, on text of the same prompt), refit the reward model,
                                       attack again (default 0)
      --out DIR                        where exploits.jsonl and summary.json go (default RUN_DIR/attack or beside the zip)`;

export class AttackError extends Error {
  override name = 'AttackError';
}

interface AttackArgs {
  target: string;
  budget: number;
  seed: number;
  /** null: the attack's own default (landscape 100, text 20). */
  steps: number | null;
  rounds: number;
  out: string | null;
}

function parseArgs(argv: string[], usage: (m: string) => Error): AttackArgs {
  const args: AttackArgs = { target: '', budget: 64, seed: 1, steps: null, rounds: 0, out: null };
  const int = (flag: string, v: string, min: number, max: number) => {
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw usage(`${flag} ${v}: expected an integer from ${min} to ${max}`);
    return Number(v);
  };
  readArgs(argv, usage, (flag, take, a) => {
    switch (flag) {
      case '--budget':
        args.budget = int(flag, take(), 1, 100_000);
        break;
      case '--seed':
        args.seed = int(flag, take(), 0, 2 ** 32 - 1);
        break;
      case '--steps':
        args.steps = int(flag, take(), 1, 100_000);
        break;
      case '--rounds':
        args.rounds = int(flag, take(), 0, 100);
        break;
      case '--out':
        args.out = take();
        break;
      default:
        if (a.startsWith('-')) throw usage(`unknown option ${a}`);
        if (args.target) throw usage(`one run at a time (got "${args.target}" and "${a}")`);
        args.target = a;
    }
  });
  if (!args.target) throw usage('attack needs a run folder (rlhf-lab run --out DIR) or an export bundle (.zip)');
  return args;
}

/** A run's newest checkpoint: a run folder's checkpoint.json (as `rlhf-lab run` writes it) or an export bundle. */
export async function loadRun(target: string): Promise<CheckpointRecord> {
  let isDir: boolean;
  try {
    isDir = (await stat(target)).isDirectory();
  } catch {
    throw new AttackError(`${target}: no such run folder or file`);
  }
  if (!isDir) return (await readBundle(new Uint8Array(await readFile(target)), basename(target))).record;
  const file = join(target, 'checkpoint.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new AttackError(`${target} holds no checkpoint.json: it is not a run folder written by rlhf-lab run --out`);
  }
  try {
    return await verifyRecord(decodeJson(text));
  } catch (e) {
    throw new AttackError(`${file} cannot be used: ${(e as Error).message}`);
  }
}

export async function attackCommand(argv: string[], usage: (m: string) => Error, log: (s: string) => void): Promise<void> {
  const args = parseArgs(argv, usage);
  const record = await loadRun(args.target);
  const e = record.experiment;
  const kind = taskOf(e.task).attack;
  if (!kind) throw new AttackError(`${args.target} is a ${e.task.kind} run, and the attack has no search for its samples`);
  if (args.rounds > 0 && !e.labelers.some((l) => l.kind === 'simulated')) {
    throw new AttackError(`${args.target} has only human labelers; --rounds asks the run's simulated labeler, so run it without --rounds`);
  }
  // The GPT of a text run is too slow on the cpu backend (11.6 s an iteration): text uses wasm, as its runs do.
  if (kind === 'text') await import('@tensorflow/tfjs-backend-wasm');
  await tf.setBackend(kind === 'text' ? 'wasm' : 'cpu');
  const lab = await taskOf(e.task).restore(e, modelStates(record), { assets: publicAssets });
  const labels = record.labels.map((l) => ({ ...l }));
  const before = tf.memory().numTensors;
  const loop = loopAttackOf(e)!;
  const steps = args.steps ?? loop.steps;
  const rounds: LoopRound<AttackCore>[] = await closeLoopOn(lab, e, labels, { seed: args.seed, rounds: args.rounds }, loop.target(lab, { budget: args.budget, steps }), (r) =>
    log(`round ${r.round}: success rate ${fmt(r.successRate)} after ${r.labelsSpent} labels; finds' proxy ${fmt(r.meanProxy)}, gold ${fmt(r.meanGold)}\n`),
  );
  const leaked = tf.memory().numTensors - before;
  lab.dispose();

  const out = resolve(args.out ?? (args.target.endsWith('.zip') ? args.target.replace(/\.zip$/, '-attack') : join(args.target, 'attack')));
  await mkdir(out, { recursive: true });
  const lines = rounds.flatMap((r) => r.attack.exploits.map((x) => JSON.stringify({ run: record.runId, round: r.round, ...x })));
  await writeFile(join(out, 'exploits.jsonl'), lines.join('\n') + '\n');
  const first = rounds[0];
  const summary = {
    run: record.runId,
    experiment: e.name,
    task: e.task.kind,
    ...('landscape' in e.task ? { landscape: e.task.landscape } : {}),
    reward_model: { ensemble: e.reward_model.ensemble, conservative: e.reward_model.conservative },
    run_labels: record.labels.length,
    budget: args.budget,
    seed: args.seed,
    steps,
    success_rate: first.successRate,
    mean_proxy: first.meanProxy,
    mean_gold: first.meanGold,
    thresholds: first.attack.thresholds,
    policy: first.attack.policy,
    // Text: the base model's log-likelihood floor every find of the first attack stays at or above.
    ...('floor' in first.attack ? { floor: first.attack.floor } : {}),
    rounds: rounds.map(roundRow),
    tensors_leaked: leaked,
  };
  await writeFile(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  log(`wrote ${out}\n`);
}

const roundRow = (r: LoopRound<AttackCore>) => ({
  round: r.round,
  labels_spent: r.labelsSpent,
  success_rate: r.successRate,
  mean_proxy: r.meanProxy,
  mean_gold: r.meanGold,
  thresholds: r.attack.thresholds,
  policy: r.attack.policy,
});

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
