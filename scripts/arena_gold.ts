// The arena with the gold reward as the judge: a preset's run untrained (optimizer.iterations=0) and trained (as the
// preset is), both on one seed, restored as an arena; the gold reward votes on `pairs` blind pairs (equal gold: a tie),
// and the Bradley-Terry leaderboard of those votes is printed, with the seconds a pair takes to sample. Run from the
// repository root (wasm backend):
//   npx tsx scripts/arena_gold.ts [preset = pixels-green] [seed = 1] [pairs = 100]
import { tf } from '../src/core/tf';
import { Runner } from '../src/core/runner';
import { MemoryStore } from '../src/core/checkpoint/store';
import { applyOverrides } from '../src/core/experiment/parse';
import { preset } from '../src/core/experiment/presets';
import { publicAssets } from '../src/cli/fs_assets';
import { ArenaSession } from '../src/core/arena_session';
import { taskOf } from '../src/core/tasks/registry';
import { leaderboard, type Vote } from '../src/core/analysis/arena';

const [name = 'pixels-green', seed = '1', pairs = '100'] = process.argv.slice(2);
const base = preset(name);
if (!base) throw new Error(`No preset "${name}": \`node bin/rlhf-lab.js presets\` lists them.`);
await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend('wasm');
const store = new MemoryStore();
const runs = [
  { runId: 'untrained', name: 'untrained', set: ['optimizer.iterations=0'] },
  { runId: 'trained', name: 'trained', set: [] },
];
for (const r of runs) {
  const t = performance.now();
  const runner = await Runner.create({ ...applyOverrides(base, [`seed=${seed}`, ...r.set]), name: r.name }, { store, runId: r.runId, backend: 'wasm', assets: publicAssets });
  await runner.run();
  runner.dispose();
  console.log(`${r.name}: trained in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
const arena = await ArenaSession.open(store, runs, publicAssets);
const e = applyOverrides(base, [`seed=${seed}`]);
const votes: Vote[] = [];
const t = performance.now();
for (let k = 0; k < Number(pairs); k++) {
  const p = await arena.pair(Number(seed), k);
  const [left, right] = await taskOf(e.task).gold(e, [{ prompt: p.prompt, sample: p.left }, { prompt: p.prompt, sample: p.right }], { assets: publicAssets });
  const leftIsA = p.leftPlayer === p.i;
  votes.push({ a: p.i, b: p.j, winner: left === right ? 'tie' : (left > right) === leftIsA ? 'a' : 'b' });
}
console.log(`a pair: ${((performance.now() - t) / 1000 / Number(pairs)).toFixed(3)} s to sample and judge`);
const won = (player: number) => votes.filter((v) => (v.winner === 'a' ? v.a : v.winner === 'b' ? v.b : -1) === player).length;
console.log(`trained wins ${won(1)}, untrained wins ${won(0)}, ties ${votes.filter((v) => v.winner === 'tie').length}`);
for (const s of leaderboard(2, votes, 200, 1)) console.log(`${runs[s.player].name}: score ${s.score.toFixed(2)} (95% ${s.low.toFixed(2)} … ${s.high.toFixed(2)})`);
arena.dispose();
