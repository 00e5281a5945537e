// rlhf-lab challenge: open train reward, hidden test reward (redteam/challenge.ts). `make` fixes a run's reward model
// as a challenge (challenge.json: the run, its checkpoint's SHA-256, the budget and the success thresholds); the class
// attacks the run's export; `score` re-scores each student's attack output under the open model and the hidden gold
// and ranks them: DIR/leaderboard.json and a table on stdout.
import { readArgs } from './args';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { modelStates, type CheckpointRecord } from '../core/checkpoint/record';
import { taskOf } from '../core/tasks/registry';
import { Rng } from '../core/rng';
import { tf } from '../core/tf';
import { CHALLENGE_VERSION, parseChallenge, scoreClass, submissionOf, type Challenge, type Submission } from '../core/redteam/challenge';
import { thresholdsOf } from '../core/redteam/registry';
import { AttackError, loadRun } from './attack_cmd';
import { publicAssets } from './fs_assets';

export const CHALLENGE_USAGE = `  rlhf-lab challenge make RUN_DIR|export.zip --out FILE [--budget N] [--name NAME]
                                       fix the run's reward model as a challenge (the class attacks its export);
                                       scored on the first N finds of each submission (default 64)
  rlhf-lab challenge score CHALLENGE.json --model RUN_DIR|export.zip ATTACK_DIR... --out DIR
                                       re-score each student's attack output (rlhf-lab attack --out, or its
                                       exploits.jsonl) under the open
                                       model and the hidden gold; DIR/leaderboard.json, the ranking on stdout`;

interface Flags {
  positional: string[];
  out: string | null;
  model: string | null;
  budget: number;
  name: string | null;
}

function parseFlags(argv: string[], usage: (m: string) => Error): Flags {
  const f: Flags = { positional: [], out: null, model: null, budget: 64, name: null };
  readArgs(argv, usage, (flag, take, a) => {
    if (flag === '--out') f.out = take();
    else if (flag === '--model') f.model = take();
    else if (flag === '--name') f.name = take();
    else if (flag === '--budget') {
      const v = take();
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100_000) throw usage(`--budget ${v}: expected an integer from 1 to 100000`);
      f.budget = Number(v);
    } else if (a.startsWith('-')) throw usage(`unknown option ${a}`);
    else f.positional.push(a);
  });
  return f;
}

/** The backend the run's task's attack uses (text: wasm; the others: cpu). */
async function backendFor(record: CheckpointRecord): Promise<void> {
  if (taskOf(record.experiment.task).attack === 'text') {
    await import('@tensorflow/tfjs-backend-wasm');
    await tf.setBackend('wasm');
  } else await tf.setBackend('cpu');
}

export async function challengeCommand(argv: string[], usage: (m: string) => Error, out: (s: string) => void): Promise<void> {
  const [sub, ...rest] = argv;
  const f = parseFlags(rest, usage);
  if (sub === 'make') return make(f, usage, out);
  if (sub === 'score') return score(f, usage, out);
  throw usage(sub === undefined ? 'challenge needs a subcommand: make or score' : `unknown challenge subcommand "${sub}" (there are: make, score)`);
}

async function make(f: Flags, usage: (m: string) => Error, out: (s: string) => void): Promise<void> {
  if (f.positional.length !== 1) throw usage('challenge make takes one run: challenge make RUN_DIR|export.zip --out FILE');
  if (!f.out) throw usage('challenge make needs --out FILE (the challenge file to hand out)');
  const record = await loadRun(f.positional[0]);
  const e = record.experiment;
  if (!taskOf(e.task).attack) throw new AttackError(`${f.positional[0]} is a ${e.task.kind} run, and the attack has no search for its samples`);
  await backendFor(record);
  const lab = await taskOf(e.task).restore(e, modelStates(record), { assets: publicAssets });
  const thresholds = await thresholdsOf(e, lab, new Rng(e.seed ^ 0xc4a1));
  lab.dispose();
  const c: Challenge = { challenge: CHALLENGE_VERSION, name: f.name ?? e.name, run: record.runId, sha256: record.sha256, task: e.task.kind, budget: f.budget, thresholds };
  await mkdir(dirname(resolve(f.out)), { recursive: true });
  await writeFile(f.out, JSON.stringify(c, null, 2) + '\n');
  out(`challenge "${c.name}" on run ${c.run}: top-decile proxy ${c.thresholds.proxyTopDecile.toFixed(3)}, median gold ${c.thresholds.goldMedian.toFixed(3)}, ${c.budget} finds scored; wrote ${f.out}\n`);
}

/** A submission: the folder rlhf-lab attack --out writes, or its exploits.jsonl alone (named after the file). */
async function readSubmission(path: string): Promise<Submission> {
  let isDir: boolean;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    throw new AttackError(`${path}: no such file or folder; a submission is what rlhf-lab attack --out writes, or its exploits.jsonl`);
  }
  const file = isDir ? join(path, 'exploits.jsonl') : path;
  const name = isDir ? basename(resolve(path)) : basename(path).replace(/(-exploits|\.exploits)?\.jsonl$/, '');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new AttackError(`${path} holds no exploits.jsonl; submit the folder rlhf-lab attack --out writes`);
  }
  return userError(() => submissionOf(name, text));
}

async function score(f: Flags, usage: (m: string) => Error, out: (s: string) => void): Promise<void> {
  const [file, ...dirs] = f.positional;
  if (!file || dirs.length === 0) throw usage('challenge score needs the challenge file and the submissions: challenge score CHALLENGE.json --model RUN ATTACK_DIR...');
  if (!f.model) throw usage('challenge score needs --model RUN_DIR|export.zip: the open model the challenge fixes');
  if (!f.out) throw usage('challenge score needs --out DIR');
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new AttackError(`${file}: cannot be read as JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const c = userError(() => parseChallenge(json, file));
  const record = await loadRun(f.model);
  const submissions = await Promise.all(dirs.map(readSubmission));
  await backendFor(record);
  const board = await userError(() => scoreClass(c, record, submissions, { assets: publicAssets }));
  await mkdir(f.out, { recursive: true });
  await writeFile(join(f.out, 'leaderboard.json'), JSON.stringify({ challenge: c.name, run: c.run, budget: c.budget, thresholds: c.thresholds, rows: board }, null, 2) + '\n');
  out(`rank  score  successes  finds  mean proxy  mean gold  name\n`);
  for (const r of board) {
    out(`${String(r.rank).padStart(4)}  ${r.score.toFixed(3)}  ${String(r.successes).padStart(9)}  ${String(r.finds).padStart(5)}  ${fmt(r.meanProxy).padStart(10)}  ${fmt(r.meanGold).padStart(9)}  ${r.name}${r.refused.length ? ` (${r.refused.length} refused: ${r.refused[0]})` : ''}\n`);
  }
  out(`wrote ${join(f.out, 'leaderboard.json')}\n`);
}

/** The core's refusals (a file that is not a challenge, a submission on another run) exit 2 with their message. */
function userError<T>(f: () => T): T {
  try {
    const r = f();
    return r instanceof Promise ? (r.catch((e: Error) => Promise.reject(new AttackError(e.message))) as T) : r;
  } catch (e) {
    throw new AttackError((e as Error).message);
  }
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
