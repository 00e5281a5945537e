import { defineConfig } from 'vitest/config';

// The webgpu tests run Dawn in Node on SwiftShader; the Vulkan loader reads this at instance creation,
// and worker threads cannot set it for themselves, so it is set here in the main process.
process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['tests/unit/**/*.test.ts'],
          testTimeout: 120_000,
          // Two files at a time even on two cores: the slow files wait on a CLI child process, so two of them keep
          // both cores busy (the default, cores − 1, leaves one idle and doubles the unit run's wall time).
          maxWorkers: 2,
        },
      },
      {
        test: {
          name: 'webgpu',
          environment: 'node',
          include: ['tests/webgpu/**/*.test.ts'],
          pool: 'forks',
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/e2e/**/*.test.ts'],
          globalSetup: ['tests/e2e/global-setup.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
