// Builds the lab and serves the build on localhost (a secure context, so WebGPU and crypto.subtle work).
import { build, preview, type PreviewServer } from 'vite';

let server: PreviewServer | null = null;

export async function setup(): Promise<void> {
  const port = Number(process.env.E2E_PORT ?? 4179);
  if (!process.env.E2E_SKIP_BUILD) await build({ logLevel: 'warn' });
  server = await preview({ preview: { port, strictPort: true, host: 'localhost' }, logLevel: 'warn' });
}

export async function teardown(): Promise<void> {
  await server?.close();
}
