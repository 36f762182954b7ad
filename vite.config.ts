import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// The studio's dynamic import of opencv.js goes through src/app/opencvEsm.ts (see there why), in
// the page and in the pose worker (worker bundles take their own plugin list).
const OPENCV_ESM = fileURLToPath(new URL('./src/app/opencvEsm.ts', import.meta.url));
const opencvEsm = (): Plugin => ({
  name: 'sparsesplat-opencv-esm',
  enforce: 'pre',
  resolveId(source, importer) {
    if (source === '@techstark/opencv-js' && importer && !importer.endsWith('opencvEsm.ts') && !importer.includes('node_modules')) return OPENCV_ESM;
    return null;
  },
});

// One config for the studio (vite), the CLIs (vite-node) and the unit tests (vitest).
export default defineConfig({
  plugins: [opencvEsm()],
  server: { port: 5173, fs: { allow: ['..'] } },
  build: { target: 'es2022' },
  worker: { format: 'es', plugins: () => [opencvEsm()] },
  // Studio deps reached only through lazy imports: pre-bundle them so the dev server does not
  // reload the page when it discovers them (the e2e tests open the studio on a cold server).
  optimizeDeps: {
    include: ['fflate', 'fzstd', 'jpeg-js', 'fast-png', 'exifr', 'uplot', 'idb-keyval', 'zustand', 'three', '@react-three/fiber', '@react-three/drei', '@sparkjsdev/spark', 'react', 'react-dom/client', '@techstark/opencv-js'],
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
