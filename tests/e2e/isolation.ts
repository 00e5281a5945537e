// The lab as a host without the isolation headers serves it (vite.config.ts ISOLATION_HEADERS): every response of a
// browser context with COOP and COEP taken out. For tests/e2e/threads.test.ts and scripts/thread_rate.ts (no vitest
// here, so the script can import it).
import type { BrowserContext } from 'playwright-core';

export async function withoutIsolation(context: BrowserContext): Promise<void> {
  await context.route('**/*', async (route) => {
    // A busy dev server (scripts/thread_rate.ts) now and then drops a connection: ask again, twice at most.
    let response;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await route.fetch();
        break;
      } catch (e) {
        if (attempt === 2) throw e;
      }
    }
    const headers = { ...response.headers() };
    delete headers['cross-origin-opener-policy'];
    delete headers['cross-origin-embedder-policy'];
    await route.fulfill({ response, headers });
  });
}
