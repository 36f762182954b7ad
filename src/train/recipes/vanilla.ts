import type { Recipe } from './Recipe';

/** Vanilla 3DGS (Kerbl et al. 2023): random init, L1 + 0.2 D-SSIM, gradient-threshold densification. */
export const vanilla: Recipe = {
  name: 'vanilla',
  iterations: 3000,
  init: 'random',
  randomCount: 20000,
  initBlock: 1,
  depthInitRandom: 0,
  randomVolume: 'frusta',
  depthPrior: 'none',
  mvsHypotheses: 64,
  mvsCensus: 0,
  lr: {
    meansInit: 1.6e-4,
    meansFinal: 1.6e-6,
    logScales: 5e-3,
    quats: 1e-3,
    logitOpacities: 5e-2,
    sh: 2.5e-3,
    shRest: 2.5e-3 / 20,
    rayDepth: 1e-3,
  },
  shDegreeEvery: 1000,
  maxShDegree: 3,
  strategy: { kind: 'default', refineStart: 500, refineStop: 15000, refineEvery: 100, resetEvery: 3000, growGrad2d: 0.0002, maxGaussians: 1_000_000 },
  loss: { lambdaSsim: 0.2, s3im: 0, depthTv: 0, relativeDepth: 0, relativeDepthGlobal: 0, relativeDepthPatch: 16, relativeDepthPatches: 64, binocular: 0, binocularDisparity: 8, binocularStart: 2000 },
  coherentSteps: 0,
  dropout: 0,
  opacityDecay: 1,
  randomBackground: 'off',
  seed: 1,
};
