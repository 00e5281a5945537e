// An arena between stored runs: each run's newest checkpoint restored as its task's lab, and blind pairs of samples
// from two of them on the same prompt, in a random order. Votes and the leaderboard are analysis/arena.ts; this file
// only draws what is compared. Runs of one task whose samples a person judges blind at a glance (the registry's
// `arena`: text completions, pictures) and of one prompt list (a text run's prompts, a pixels run's classes).
import { Rng } from './rng';
import type { Store } from './checkpoint/store';
import { loadCheckpoint, modelStates } from './checkpoint/record';
import { taskOf, type TaskKind } from './tasks/registry';
import type { Assets, TaskLab } from './tasks/task_lab';

export class ArenaError extends Error {
  override name = 'ArenaError';
}

export interface ArenaPlayer {
  runId: string;
  name: string;
}

/**
 * One blind comparison: players i and j (indices into the arena's players), their samples shown left and right:
 * completions of the prompt for text, pictures of the class asked for (each its digits, row by row) for pixels.
 */
export interface ArenaPair {
  /** The task of every run in the arena: what the samples are. */
  kind: TaskKind;
  i: number;
  j: number;
  prompt: string;
  left: string;
  right: string;
  /** Which player is on the left. */
  leftPlayer: number;
}

export class ArenaSession {
  private constructor(
    readonly players: ArenaPlayer[],
    private readonly labs: TaskLab[],
    readonly kind: TaskKind,
  ) {}

  static async open(store: Store, runs: { runId: string; name: string }[], assets: Assets): Promise<ArenaSession> {
    if (runs.length < 2) throw new ArenaError('An arena needs two or more runs: tick them in the list.');
    const labs: TaskLab[] = [];
    let first: { name: string; kind: TaskKind; prompts: string } | null = null;
    try {
      for (const r of runs) {
        const loaded = await loadCheckpoint(store, r.runId);
        if (!loaded) throw new ArenaError(`The run "${r.name}" has no checkpoint to sample from.`);
        const e = loaded.record.experiment;
        const task = taskOf(e.task);
        if ('refused' in task.arena) throw new ArenaError(`The run "${r.name}" is a ${task.name} run, and ${task.arena.refused}: the arena compares text runs or pixels runs. Untick it.`);
        if (!('prompts' in e.task)) throw new ArenaError(`The run "${r.name}" has no prompts to compare on.`);
        const prompts = JSON.stringify(e.task.prompts);
        if (first && e.task.kind !== first.kind) throw new ArenaError(`The run "${r.name}" is a ${task.name} run and "${first.name}" a ${taskOf({ kind: first.kind }).name} run: an arena compares runs of one task. Tick runs of one task only.`);
        if (first && prompts !== first.prompts) throw new ArenaError(`The run "${r.name}" has other prompts (task.prompts: for pictures, the classes asked for) than "${first.name}": an arena compares runs of the same prompts.`);
        first ??= { name: r.name, kind: e.task.kind, prompts };
        labs.push(await task.restore(e, modelStates(loaded.record), { assets }));
      }
    } catch (err) {
      for (const l of labs) l.dispose();
      throw err;
    }
    return new ArenaSession(runs.map(({ runId, name }) => ({ runId, name })), labs, first!.kind);
  }

  /**
   * The pair of comparison `k` of an arena seeded `seed`: two distinct players, one completion of each for the same
   * prompt (both labs sample with one generator state, so the prompt agrees), sides shuffled.
   */
  async pair(seed: number, k: number): Promise<ArenaPair> {
    const rng = new Rng((seed * 1_000_003 + k) >>> 0);
    const n = this.players.length;
    const i = rng.int(n);
    const j = (i + 1 + rng.int(n - 1)) % n;
    const sampleSeed = rng.seed();
    const [pi, pj] = [await this.labs[i].propose(new Rng(sampleSeed)), await this.labs[j].propose(new Rng(sampleSeed))];
    const leftIsI = rng.uniform() < 0.5;
    return {
      kind: this.kind,
      i,
      j,
      prompt: pi.prompt ?? '',
      left: String(leftIsI ? pi.a : pj.a),
      right: String(leftIsI ? pj.a : pi.a),
      leftPlayer: leftIsI ? i : j,
    };
  }

  dispose(): void {
    for (const l of this.labs) l.dispose();
  }
}
