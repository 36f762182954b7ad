import { defineConfig } from 'vitest/config';

// One config for the studio (vite), the CLIs (vite-node) and the unit tests (vitest).
export default defineConfig({
  server: { port: 5173, fs: { allow: ['..'] } },
  build: { target: 'es2022' },
  worker: { format: 'es' },
  // Studio deps reached only through lazy imports: pre-bundle them so the dev server does not
  // reload the page when it discovers them (the e2e tests open the studio on a cold server).
  optimizeDeps: {
    include: ['fflate', 'fzstd', 'jpeg-js', 'fast-png', 'exifr', 'uplot', 'idb-keyval', 'zustand', 'three', '@react-three/fiber', '@react-three/drei', '@sparkjsdev/spark', 'react', 'react-dom/client'],
  },
  test: {
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 300_000,
    hookTimeout: 120_000,
    // SwiftShader is CPU-bound: two files at a time fill a 2-core machine.
    pool: 'forks',
    maxWorkers: 2,
  },
});
