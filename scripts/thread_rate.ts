// The wasm thread measurement of README "Threads in the tab": a bench workload's step timed in Debian's Chromium, in
// a worker as the lab trains, under three pages taken in turn, round after round:
//   single    the page without the isolation headers (as a host that cannot send them): tfjs-wasm's SIMD build, one thread
//   isolated1 the page cross-origin isolated, tfjs-wasm's threaded build held to 1 thread
//   isolatedN the same on N threads (--threads, default the machine's logical cores; tfjs-wasm's own default is
//             half of them, at most 4)
// and prints one JSON line per page and round, then the medians and the ratios single / isolatedN and isolated1 /
// isolatedN (above 1: the threads are faster). Not a test: timings depend on the machine.
//   npx tsx scripts/thread_rate.ts [--workload gpt-tiny:lm] [--steps 5] [--warmup 2] [--rounds 3] [--threads N] [--port 4186]
import { cpus } from 'node:os';
import { createServer } from 'vite';
import { chromium } from 'playwright-core';
import { withoutIsolation } from '../tests/e2e/isolation';
import { median } from '../src/core/bench/pairs';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const workload = arg('workload', 'gpt-tiny:lm');
const steps = Number(arg('steps', '5'));
const warmup = Number(arg('warmup', '2'));
const rounds = Number(arg('rounds', '3'));
const port = Number(arg('port', '4186'));
const threadsN = Number(arg('threads', String(cpus().length)));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const server = await createServer({ server: { port, strictPort: true }, logLevel: 'warn' });
await server.listen();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });

const PAGES = [
  { name: 'single', isolated: false, threads: 0 },
  { name: 'isolated1', isolated: true, threads: 1 },
  { name: 'isolatedN', isolated: true, threads: threadsN },
] as const;

const times: Record<string, number[]> = { single: [], isolated1: [], isolatedN: [] };
try {
  for (let round = 0; round < rounds; round++) {
    for (const p of PAGES) {
      const context = await browser.newContext();
      if (!p.isolated) await withoutIsolation(context);
      const page = await context.newPage();
      await page.goto(`http://localhost:${port}/scripts/thread_bench/index.html?workload=${workload}&steps=${steps}&warmup=${warmup}&threads=${p.threads}`, { timeout: 300_000 });
      const handle = await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result, null, { timeout: 600_000 });
      const r = (await handle.jsonValue()) as Record<string, unknown>;
      await context.close();
      if (r.error) throw new Error(`${p.name}: ${r.error}`);
      if (r.isolated !== p.isolated) throw new Error(`${p.name}: the worker was ${r.isolated ? '' : 'not '}cross-origin isolated`);
      times[p.name].push(r.ms_per_step as number);
      const { ms_per_step, tokens_per_s, threads, kernel_threads, threaded_build, cores, loss, tensors_before, tensors_after, wasm_batch_matmul, wasm_relaxed_simd } = r;
      console.log(JSON.stringify({ round, page: p.name, workload, ms_per_step, tokens_per_s, threads, kernel_threads, threaded_build, cores, wasm_batch_matmul, wasm_relaxed_simd, loss, tensors_before, tensors_after }));
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(JSON.stringify({
    workload,
    median_ms: m,
    single_over_threads: Number((m.single / m.isolatedN).toFixed(3)),
    one_over_threads: Number((m.isolated1 / m.isolatedN).toFixed(3)),
  }));
} finally {
  await browser.close();
  await server.close();
}
