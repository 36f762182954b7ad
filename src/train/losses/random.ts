/**
 * Deterministic GPU-reproducible randomness for the losses: a PCG hash and keyed Feistel
 * permutations, bit-exact with `shaders/loss_common.wgsl`, so the CPU references and tests
 * reproduce the GPU's sampled pixels and patches from the same seed (nothing is uploaded per step).
 *
 * Sources: PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", JCGT 2020);
 * Feistel network with cycle-walking for permutations of arbitrary domain size
 * (Black & Rogaway, "Ciphers with Arbitrary Finite Domains", CT-RSA 2002).
 */

/** PCG-RXS-M-XS 32-bit hash of a u32 (as in the WGSL `pcg`). */
export function pcg(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Key of random stream `stream` under `seed` (u32). */
export function streamKey(seed: number, stream: number): number {
  return pcg((pcg(seed >>> 0) + (stream >>> 0)) >>> 0);
}

/** Half-width in bits of the smallest balanced Feistel domain 2^(2m) >= n (m >= 1). */
export function feistelHalfBits(n: number): number {
  let m = 1;
  while (2 ** (2 * m) < n) m++;
  return m;
}

function roundFn(r: number, key: number, i: number, mask: number): number {
  return (pcg((r ^ pcg((key + i) >>> 0)) >>> 0) & mask) >>> 0;
}

/** 4-round Feistel permutation of [0, 2^(2m)). */
export function feistel(x: number, m: number, key: number): number {
  const mask = (1 << m) - 1;
  let l = (x >>> m) & mask;
  let r = x & mask;
  for (let i = 0; i < 4; i++) {
    const nl = r;
    r = (l ^ roundFn(r, key, i, mask)) >>> 0;
    l = nl;
  }
  return ((l << m) | r) >>> 0;
}

/** Inverse of `feistel`. */
export function feistelInverse(y: number, m: number, key: number): number {
  const mask = (1 << m) - 1;
  let l = (y >>> m) & mask;
  let r = y & mask;
  for (let i = 3; i >= 0; i--) {
    const pr = l;
    l = (r ^ roundFn(pr, key, i, mask)) >>> 0;
    r = pr;
  }
  return ((l << m) | r) >>> 0;
}

/** Keyed permutation of [0, n) (Feistel + cycle-walking); `m` = feistelHalfBits(n). */
export function permute(x: number, n: number, m: number, key: number): number {
  let y = feistel(x, m, key);
  while (y >= n) y = feistel(y, m, key);
  return y;
}

/** Inverse of `permute`. */
export function permuteInverse(y: number, n: number, m: number, key: number): number {
  let x = feistelInverse(y, m, key);
  while (x >= n) x = feistelInverse(x, m, key);
  return x;
}

/** S3IM constants (Xie et al., ICCV 2023, official code defaults). */
export const S3IM = {
  /** Sampled pixels per step (the "batch" of rays), arranged as a 64x64 virtual patch. */
  samples: 4096,
  /** Repeats M: the first keeps the sample order, the others are fresh permutations. */
  repeats: 10,
  patchHeight: 64,
  /** Width of the concatenated virtual image: 64 * repeats. */
  patchWidth: 640,
  kernel: 4,
  stride: 4,
} as const;

/** Random stream ids (shared with the WGSL). */
export const STREAM_S3IM_PIXELS = 100; // + round
export const STREAM_S3IM_REPEAT = 0; // + repeat index (1..9)
export const STREAM_PATCH = 1000; // + 2*patch (+1 for y)

/**
 * The pixel index (y * width + x) behind each entry of S3IM's concatenated virtual image, as the GPU
 * samples it from `seed`: 4096 pixels drawn without replacement (a keyed permutation of the H*W
 * pixels; when H*W < 4096, ceil(4096 / (H*W)) rounds of fresh permutations), then the virtual image
 * (64 rows x 640 columns, row-major, the layout of the official code's `reshape(1, 3, 64, 640)`)
 * whose entry q = r*4096 + k holds sample k for repeat r = 0 and sample perm_r(k) for r >= 1.
 * Returns a Uint32Array of 40960 pixel indices (row-major over the 64x640 virtual image).
 * @throws Error when width/height are not positive integers.
 */
export function s3imVirtualPatchPixels(width: number, height: number, seed: number): Uint32Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`s3imVirtualPatchPixels: width/height must be positive integers, got ${width}x${height}`);
  }
  const n = width * height;
  const m = feistelHalfBits(n);
  const out = new Uint32Array(S3IM.samples * S3IM.repeats);
  for (let q = 0; q < out.length; q++) {
    out[q] = s3imSamplePixel(s3imSampleAt(q, seed), n, m, seed);
  }
  return out;
}

/** Sample index (0..4095) at virtual-image entry q. */
export function s3imSampleAt(q: number, seed: number): number {
  const r = Math.floor(q / S3IM.samples);
  const k = q % S3IM.samples;
  return r === 0 ? k : feistel(k, 6, streamKey(seed, STREAM_S3IM_REPEAT + r));
}

/** Pixel index of sample s (0..4095) for an image of n pixels. */
export function s3imSamplePixel(s: number, n: number, m: number, seed: number): number {
  const round = Math.floor(s / n);
  return permute(s % n, n, m, streamKey(seed, STREAM_S3IM_PIXELS + round));
}

/**
 * Top-left corners of the random square patches of RelativeDepthLoss, as the GPU draws them:
 * x0 = hash % (width - size + 1), y0 = hash % (height - size + 1). Returns [x0, y0, x0, y0, ...].
 * @throws Error when the patch does not fit in the image.
 */
export function relativeDepthPatchCorners(
  width: number,
  height: number,
  patchSize: number,
  patches: number,
  seed: number,
): Uint32Array {
  if (patchSize < 1 || patchSize > width || patchSize > height) {
    throw new Error(`relativeDepthPatchCorners: patchSize ${patchSize} does not fit a ${width}x${height} image`);
  }
  const out = new Uint32Array(patches * 2);
  for (let k = 0; k < patches; k++) {
    out[2 * k] = streamKey(seed, STREAM_PATCH + 2 * k) % (width - patchSize + 1);
    out[2 * k + 1] = streamKey(seed, STREAM_PATCH + 2 * k + 1) % (height - patchSize + 1);
  }
  return out;
}
