import { defineConfig } from 'vitest/config';

// End-to-end tests of the studio (Playwright driving Debian's Chromium with SwiftShader WebGPU).
// Kept apart from the unit tests: `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
