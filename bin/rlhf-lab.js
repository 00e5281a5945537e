#!/usr/bin/env node
// The lab's command line. Runs the TypeScript sources directly (tsx), so the CLI and the tab share one core.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
