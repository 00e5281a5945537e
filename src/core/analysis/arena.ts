// An arena's leaderboard: blind pairwise votes between checkpoints' samples, fit with the Bradley-Terry model
// P(i beats j) = σ(s_i − s_j) by maximum likelihood (Hunter's 2004 MM iterations on strengths p = e^s, with ties as
// half a win each way, and one virtual tie of each player against an average one so that every score is finite),
// scores centred to mean 0; 95% intervals from a bootstrap over votes; and how fragile the
// order is: the leader's margin after dropping the k votes that support it most (Broderick et al.'s "drop a few").
import { Rng } from '../rng';

/** One vote: `a` and `b` index the players; the winner, or a tie. */
export interface Vote {
  a: number;
  b: number;
  winner: 'a' | 'b' | 'tie';
}

/** Bradley-Terry scores s (mean 0) of `players` from the votes; a player with no vote keeps 0. */
export function bradleyTerry(players: number, votes: readonly Vote[], iterations = 500, tol = 1e-10): number[] {
  // wins[i] = Σ wins of i (a tie counts ½ to each); n[i][j] = games between i and j.
  const wins = new Array<number>(players).fill(0);
  const n = Array.from({ length: players }, () => new Array<number>(players).fill(0));
  for (const v of votes) {
    if (v.a === v.b) continue;
    n[v.a][v.b]++;
    n[v.b][v.a]++;
    if (v.winner === 'a') wins[v.a]++;
    else if (v.winner === 'b') wins[v.b]++;
    else {
      wins[v.a] += 0.5;
      wins[v.b] += 0.5;
    }
  }
  // A player who never won (or never lost) has no finite MLE: one virtual tie (half a win) against a player of
  // strength 1 keeps every score finite.
  const PRIOR = 0.5;
  let p = new Array<number>(players).fill(1);
  for (let it = 0; it < iterations; it++) {
    const next = p.map((pi, i) => {
      let denom = (2 * PRIOR) / (pi + 1);
      for (let j = 0; j < players; j++) if (n[i][j]) denom += n[i][j] / (pi + p[j]);
      return (wins[i] + PRIOR) / denom;
    });
    const change = Math.max(...next.map((x, i) => Math.abs(Math.log(x) - Math.log(p[i]))));
    p = next;
    if (change < tol) break;
  }
  // Only differences of scores mean anything: shown with mean 0.
  const s = p.map(Math.log);
  const mean = s.reduce((a, b) => a + b, 0) / players;
  return s.map((x) => x - mean);
}

export interface Standing {
  player: number;
  score: number;
  /** 2.5% and 97.5% quantiles of the score over bootstrap resamples of the votes. */
  low: number;
  high: number;
  votes: number;
}

/** The leaderboard, best first, with bootstrap 95% intervals (`resamples` draws of the votes with replacement). */
export function leaderboard(players: number, votes: readonly Vote[], resamples = 200, seed = 1): Standing[] {
  const scores = bradleyTerry(players, votes);
  const rng = new Rng(seed);
  const draws: number[][] = Array.from({ length: players }, () => []);
  for (let r = 0; r < resamples && votes.length; r++) {
    const sample = Array.from({ length: votes.length }, () => votes[rng.int(votes.length)]);
    bradleyTerry(players, sample).forEach((s, i) => draws[i].push(s));
  }
  const q = (xs: number[], f: number) => {
    if (!xs.length) return Number.NaN;
    const s = [...xs].sort((a, b) => a - b);
    const at = f * (s.length - 1);
    const lo = Math.floor(at);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
  };
  const count = (i: number) => votes.filter((v) => v.a === i || v.b === i).length;
  return scores
    .map((score, player) => ({ player, score, low: q(draws[player], 0.025), high: q(draws[player], 0.975), votes: count(player) }))
    .sort((x, y) => y.score - x.score);
}

/**
 * How fragile the top of the board is: drop the k votes whose removal lowers the leader's margin over the runner-up
 * most (each vote's effect measured by leaving it out alone, then the k largest dropped together) and refit. Returns
 * the margin before and after and whether the leader changed. k = 0 changes nothing.
 */
export function dropMostInfluential(players: number, votes: readonly Vote[], k: number): { before: number; after: number; leaderBefore: number; leaderAfter: number; dropped: number[] } {
  const margin = (vs: readonly Vote[], leader: number, second: number) => {
    const s = bradleyTerry(players, vs);
    return s[leader] - s[second];
  };
  const board = bradleyTerry(players, votes);
  const order = board.map((s, i) => [s, i] as const).sort((x, y) => y[0] - x[0]);
  const [leader, second] = [order[0][1], order[1]?.[1] ?? order[0][1]];
  const before = board[leader] - board[second];
  const effect = votes.map((_, i) => before - margin(votes.filter((__, j) => j !== i), leader, second));
  const dropped = effect.map((e, i) => [e, i] as const).sort((x, y) => y[0] - x[0]).slice(0, k).map(([, i]) => i);
  const kept = votes.filter((_, i) => !dropped.includes(i));
  const after = bradleyTerry(players, kept);
  const leaderAfter = after.indexOf(Math.max(...after));
  return { before, after: after[leader] - after[second], leaderBefore: leader, leaderAfter, dropped };
}
