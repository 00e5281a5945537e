// The Arena page's state: the runs in the arena, the blind pair on screen, the votes (kept in localStorage, so a
// reload goes on where it was), and the leaderboard they give (analysis/arena.ts). The worker samples; the page votes.
import type { Lab } from '../lab.svelte';
import type { RunInfo } from '../../core/checkpoint/runs';
import type { ArenaPair, ArenaPlayer } from '../../core/arena_session';
import { dropMostInfluential, leaderboard, type Standing, type Vote } from '../../core/analysis/arena';

const KEY = 'rlhf-lab:arena';

interface Saved {
  runIds: string[];
  seed: number;
  votes: Vote[];
  k: number;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e)).replace(/^Error: /, '');

export class Arena {
  runs = $state.raw<RunInfo[]>([]);
  chosen = $state.raw<string[]>([]);
  players = $state.raw<ArenaPlayer[]>([]);
  pair = $state.raw<ArenaPair | null>(null);
  votes = $state.raw<Vote[]>([]);
  error = $state<string | null>(null);
  busy = $state(false);
  /** How many of the most influential votes to drop in the fragility check. */
  dropK = $state(0);
  private seed = 1;
  private k = 0;

  board = $derived<Standing[]>(this.players.length >= 2 ? leaderboard(this.players.length, this.votes, 200, this.seed) : []);
  fragility = $derived(this.players.length >= 2 && this.votes.length && this.dropK > 0 ? dropMostInfluential(this.players.length, this.votes, Math.min(this.dropK, this.votes.length)) : null);

  constructor(private readonly lab: Lab) {}

  async refresh(): Promise<void> {
    try {
      this.runs = ((await this.lab.remote?.listRuns()) ?? []).filter((r) => !r.damaged);
    } catch (e) {
      this.error = message(e);
    }
  }

  /** Reopens the arena of the last visit, if there was one. */
  async resume(): Promise<void> {
    let saved: Saved | null = null;
    try {
      saved = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Saved | null;
    } catch {
      saved = null;
    }
    if (!saved || !Array.isArray(saved.runIds) || !Array.isArray(saved.votes)) return;
    this.chosen = saved.runIds;
    await this.start(saved);
  }

  toggle(runId: string): void {
    this.chosen = this.chosen.includes(runId) ? this.chosen.filter((x) => x !== runId) : [...this.chosen, runId];
  }

  /** Opens an arena of the chosen runs (a fresh one, or a saved one with its votes). */
  async start(saved?: Saved): Promise<void> {
    const api = this.lab.remote;
    if (!api) return;
    this.busy = true;
    this.error = null;
    try {
      this.players = await api.arenaOpen(saved?.runIds ?? this.chosen);
      this.seed = saved?.seed ?? (Date.now() % 2 ** 31);
      this.votes = saved?.votes ?? [];
      this.k = saved?.k ?? 0;
      this.save();
      await this.next();
    } catch (e) {
      this.error = `${message(e)}`;
      this.players = [];
      this.pair = null;
      if (saved) localStorage.removeItem(KEY);
    } finally {
      this.busy = false;
    }
  }

  private save(): void {
    const s: Saved = { runIds: this.players.map((p) => p.runId), seed: this.seed, votes: this.votes, k: this.k };
    localStorage.setItem(KEY, JSON.stringify(s));
  }

  private async next(): Promise<void> {
    this.pair = null;
    this.pair = await this.lab.remote!.arenaPair(this.seed, this.k);
  }

  /** The person's verdict on the pair on screen; "skip" records nothing. */
  async vote(verdict: 'left' | 'right' | 'tie' | 'skip'): Promise<void> {
    const p = this.pair;
    if (!p || this.busy) return;
    if (verdict !== 'skip') {
      const winner = verdict === 'tie' ? 'tie' : (verdict === 'left') === (p.leftPlayer === p.i) ? 'a' : 'b';
      this.votes = [...this.votes, { a: p.i, b: p.j, winner }];
    }
    this.k++;
    this.save();
    this.busy = true;
    try {
      await this.next();
    } catch (e) {
      this.error = message(e);
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    await this.lab.remote?.arenaClose();
    localStorage.removeItem(KEY);
    this.players = [];
    this.pair = null;
    this.votes = [];
  }
}
