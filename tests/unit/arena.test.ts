// The arena's Bradley-Terry leaderboard against a second, plain implementation (gradient ascent on the same
// log-likelihood), its bootstrap intervals, and the "drop the most influential votes" check.
import { describe, expect, it } from 'vitest';
import { bradleyTerry, dropMostInfluential, leaderboard, type Vote } from '../../src/core/analysis/arena';
import { Rng } from '../../src/core/rng';

/** Plain gradient ascent on Σ log σ(s_w − s_l) (a tie: ½ each way) plus one virtual tie per player against s = 0. */
function plainBT(players: number, votes: readonly Vote[]): number[] {
  const s = new Array<number>(players).fill(0);
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  for (let it = 0; it < 20000; it++) {
    const g = new Array<number>(players).fill(0);
    for (const v of votes) {
      const wa = v.winner === 'a' ? 1 : v.winner === 'b' ? 0 : 0.5;
      const p = sig(s[v.a] - s[v.b]);
      g[v.a] += wa - p;
      g[v.b] -= wa - p;
    }
    for (let i = 0; i < players; i++) g[i] += 0.5 - sig(s[i]); // the virtual tie against strength 1 (score 0)
    for (let i = 0; i < players; i++) s[i] += 0.05 * g[i];
  }
  const m = s.reduce((a, b) => a + b, 0) / players;
  return s.map((x) => x - m);
}

const votesOf = (list: [number, number, Vote['winner'], number][]) => list.flatMap(([a, b, winner, n]) => Array.from({ length: n }, () => ({ a, b, winner })));

describe('the arena', () => {
  it('Bradley-Terry scores agree with a plain gradient-ascent fit of the same likelihood', () => {
    const votes = votesOf([[0, 1, 'a', 7], [0, 1, 'b', 3], [1, 2, 'a', 6], [1, 2, 'b', 4], [0, 2, 'a', 8], [0, 2, 'b', 1], [0, 2, 'tie', 2], [2, 3, 'a', 5], [3, 2, 'a', 1]]);
    const mm = bradleyTerry(4, votes);
    const gd = plainBT(4, votes);
    mm.forEach((x, i) => expect(x).toBeCloseTo(gd[i], 5));
    expect(mm[0]).toBeGreaterThan(mm[1]);
    expect(mm[1]).toBeGreaterThan(mm[2]);
  });

  it('two players with many games: the score gap approaches log(wins / losses)', () => {
    const s = bradleyTerry(2, votesOf([[0, 1, 'a', 3000], [0, 1, 'b', 1000]]));
    expect(s[0] - s[1]).toBeCloseTo(Math.log(3), 2);
  });

  it('the bootstrap interval holds the score and narrows with more votes', () => {
    const rng = new Rng(3);
    const draw = (n: number) => Array.from({ length: n }, () => ({ a: 0, b: 1, winner: rng.uniform() < 0.7 ? 'a' : 'b' }) as Vote);
    const few = leaderboard(2, draw(20), 200, 1);
    const many = leaderboard(2, draw(400), 200, 1);
    for (const b of [few, many]) for (const s of b) expect(s.low).toBeLessThanOrEqual(s.score + 1e-9), expect(s.high).toBeGreaterThanOrEqual(s.score - 1e-9);
    const width = (b: typeof few) => b[0].high - b[0].low;
    expect(width(many)).toBeLessThan(width(few) / 2);
    expect(many[0].player).toBe(0);
    expect(many[0].votes).toBe(400);
  });

  it('dropping the few votes that carry a narrow lead flips it; a wide lead survives', () => {
    const narrow = votesOf([[0, 1, 'a', 6], [0, 1, 'b', 5]]);
    const n = dropMostInfluential(2, narrow, 2);
    expect(n.leaderBefore).toBe(0);
    expect(n.dropped).toHaveLength(2);
    for (const i of n.dropped) expect(narrow[i].winner).toBe('a'); // the votes for the leader are the influential ones
    expect(n.leaderAfter).toBe(1);
    const wide = votesOf([[0, 1, 'a', 30], [0, 1, 'b', 5]]);
    const w = dropMostInfluential(2, wide, 2);
    expect(w.leaderAfter).toBe(0);
    expect(w.after).toBeLessThan(w.before);
    expect(dropMostInfluential(2, wide, 0).after).toBeCloseTo(w.before, 12);
  });
});
