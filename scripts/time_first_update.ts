// How long a student waits: the seconds from pressing Start on `landscape-hello` to its first policy update, in
// headless Chromium with WebGPU on SwiftShader (the e2e tests' browser), with the lab's own backend choice unless a
// query is given. Builds the lab into dist-timing/ and serves it on a private port. Run from the repository root:
//   npx tsx scripts/time_first_update.ts                 the lab's default choice
//   npx tsx scripts/time_first_update.ts '?backend=webgpu'
//   TIMING_PORT=4191 TIMING_SKIP_BUILD=1 npx tsx scripts/time_first_update.ts
import { build, preview } from 'vite';
import { launch } from '../tests/e2e/browser';

const query = process.argv[2] ?? '';
const port = Number(process.env.TIMING_PORT ?? 4191);
const outDir = 'dist-timing';
if (!process.env.TIMING_SKIP_BUILD) await build({ logLevel: 'warn', build: { outDir } });
const server = await preview({ build: { outDir }, preview: { port, strictPort: true, host: 'localhost' }, logLevel: 'warn' });
const browser = await launch();
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`http://localhost:${port}/${query}`);
  await page.waitForSelector('[data-testid=backend]', { timeout: 120_000 });
  const backend = await page.getAttribute('[data-testid=backend]', 'data-backend');
  const why = await page.$eval('[data-testid=backend-fallback]', (el) => el.textContent).catch(() => null);
  await page.click('[data-testid=start]');
  const t0 = Date.now();
  // Stage by stage, when each began (the status line's data-stage), until the first policy iteration is counted.
  const stages: Record<string, number> = {};
  for (;;) {
    const s = await page
      .$eval('[data-testid=status]', (el) => ({ stage: el.getAttribute('data-stage'), step: Number(el.getAttribute('data-step')) }))
      .catch(() => null);
    if (s?.stage && !(s.stage in stages)) stages[s.stage] = (Date.now() - t0) / 1000;
    if (s && s.step >= 1) break;
    if (Date.now() - t0 > 900_000) throw new Error('no policy update in 15 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ query, backend, why, stages_began_s: stages, first_policy_update_s: seconds }));
} finally {
  await browser.close();
  await server.close();
}
