import type { Camera } from '../core/Camera';
import type { GpuContext } from '../gpu/device';
import { STORAGE, Usage, readF32, readU32 } from '../gpu/buffers';
import { bindEntries, cachedPipeline, recordPass, uniformWith, workgroups } from '../gpu/passes';
import type { GaussianBuffers } from './GaussianBuffers';
import { RadixSort, type SortVariant } from './RadixSort';
import { PrefixScan } from './PrefixScan';
import { stageSource } from './wgsl';

/** Options of one render. */
export interface RasterOptions {
  /** Background colour (linear RGB in [0,1] as the images), added as T_final * background. */
  background: [number, number, number];
  /** Mip-Splatting antialiasing: opacity * sqrt(det(cov2d) / det(cov2d + 0.3 I)) (Yu et al. 2024, eq. 9). */
  antialiased?: boolean;
  /**
   * Gaussian dropout for a training render (DropGaussian, Park et al. CVPR 2025): each Gaussian is
   * left out with probability `rate` (a hash of its index and `seed`, see dropoutKeeps) and the
   * others' opacity is multiplied by 1 / (1 - rate). The backward pass of the same frame follows.
   */
  dropout?: { rate: number; seed: number };
}

/**
 * Whether Gaussian `i` is kept by a dropout of `rate` with `seed` (u32): the hash of
 * shaders/raster_common.wgsl dropoutKeeps, bit for bit.
 */
export function dropoutKeeps(i: number, seed: number, rate: number): boolean {
  if (!(rate > 0)) return true;
  let h = (Math.imul(i, 0x9e3779b9) ^ seed) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  return Math.fround((h >>> 8) * (1 / 16777216)) >= Math.fround(rate);
}

/** Images of the last forward, owned by the rasterizer (replaced when the image size changes). */
export interface RenderTargets {
  width: number;
  height: number;
  /** [H][W][3] f32 RGB, C = sum_i c_i a_i T_i + T_final * background. */
  rgb: GPUBuffer;
  /** [H][W] f32 accumulated alpha, 1 - T_final. */
  alpha: GPUBuffer;
  /**
   * [H][W] f32 alpha-weighted camera z, sum_i a_i T_i z_i, NOT normalized by alpha
   * (divide by alpha for the expected depth of the covered part).
   */
  depth: GPUBuffer;
}

/** Pixel-centre convention: pixel (x, y) is sampled at (x + 0.5, y + 0.5), as gsplat. */
export const PIXEL_CENTER_OFFSET = 0.5;
/** Near plane (camera z, world units): Gaussians with z < NEAR_PLANE are culled. */
export const NEAR_PLANE = 0.01;
/** Tile side in pixels. */
export const TILE_SIZE = 16;
/** Floats per Gaussian in the 2D gradient buffer: mean2d (2), conic (3), opacity, rgb (3), z. */
export const GRAD2D_WIDTH = 10;

/** Per-Gaussian Params uniform (see shaders/raster_common.wgsl, struct Params). */
function packParams(camera: Camera, opts: RasterOptions, n: number, shDegree: number, scanLen: number, isectCap: number, flags: number[]): Uint32Array {
  const buf = new ArrayBuffer(176);
  const f = new Float32Array(buf);
  const u = new Uint32Array(buf);
  const R = camera.R;
  const t = camera.t;
  f.set([R[0], R[1], R[2], t[0], R[3], R[4], R[5], t[1], R[6], R[7], R[8], t[2]], 0);
  const c = camera.center;
  f.set([c[0], c[1], c[2], NEAR_PLANE], 12);
  f.set([camera.fx, camera.fy, camera.cx, camera.cy], 16);
  const lim = jacobianLimits(camera);
  f.set(lim, 20);
  const bg = opts.background;
  f.set([bg[0], bg[1], bg[2], opts.antialiased ? 1 : 0], 24);
  const tilesX = Math.ceil(camera.width / TILE_SIZE);
  const tilesY = Math.ceil(camera.height / TILE_SIZE);
  u.set([camera.width, camera.height, tilesX, tilesY], 28);
  u.set([n, shDegree, scanLen, isectCap], 32);
  u.set([flags[0] ?? 0, flags[1] ?? 0, flags[2] ?? 0, 0], 36);
  const rate = opts.dropout?.rate ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`RasterOptions.dropout.rate must be in [0, 1), got ${rate}`);
  f.set([rate, 1 / (1 - rate)], 40);
  u[42] = (opts.dropout?.seed ?? 0) >>> 0;
  return u;
}

/**
 * Limits of x/z and y/z used in the EWA Jacobian (gsplat's clipping to 1.3x the field of view):
 * [x+, x-, y+, y-], so that x/z is clamped to [-x-, x+].
 */
export function jacobianLimits(camera: Camera): [number, number, number, number] {
  const tanX = (0.5 * camera.width) / camera.fx;
  const tanY = (0.5 * camera.height) / camera.fy;
  return [
    (camera.width - camera.cx) / camera.fx + 0.3 * tanX,
    camera.cx / camera.fx + 0.3 * tanX,
    (camera.height - camera.cy) / camera.fy + 0.3 * tanY,
    camera.cy / camera.fy + 0.3 * tanY,
  ];
}

/**
 * Compositing kernels: 'lanes' (shaders/rasterize.wgsl, rasterize_backward.wgsl: tileLanes threads
 * per tile, per-pixel state unrolled into scalars, no workgroup staging) is several times faster
 * on lavapipe; 'wg256' (rasterize_wg256.wgsl, rasterize_backward_wg256.wgsl: one thread per pixel,
 * splats staged in workgroup memory) is the GPU textbook form, and the one SwiftShader can compile
 * (it takes over 10 minutes on the unrolled 'lanes' kernels). Both agree with the float64 reference.
 */
export type CompositingVariant = 'lanes' | 'wg256';

/** 'lanes' on lavapipe (llvmpipe), 'wg256' elsewhere (GPUs: not yet measured; SwiftShader). */
export function defaultCompositing(gpu: Pick<GpuContext, 'adapterName'>): CompositingVariant {
  return /llvmpipe|lavapipe/i.test(gpu.adapterName) ? 'lanes' : 'wg256';
}

/**
 * Threads per tile in the compositing forward and backward (shaders/rasterize*.wgsl): the device's
 * subgroup size when it is fixed (subgroupMinSize == subgroupMaxSize, e.g. 8 on lavapipe,
 * 32 on NVIDIA), so one subgroupAdd reduces a whole tile; otherwise (no subgroups, a variable
 * size, or SwiftShader's 4) 16 threads that reduce in workgroup memory.
 */
export function tileLanes(gpu: GpuContext, useSubgroups: boolean): { count: number; subgroup: boolean } {
  const info = gpu.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const lo = info?.subgroupMinSize ?? 0;
  const hi = info?.subgroupMaxSize ?? 0;
  // At least 8 lanes: each thread's 256 / LANES pixels are unrolled in the shader source.
  const pow2 = (x: number) => x >= 8 && x <= 256 && (x & (x - 1)) === 0;
  if (useSubgroups && lo === hi && pow2(lo)) return { count: lo, subgroup: true };
  return { count: 16, subgroup: false };
}

type Pipes = Record<
  'project' | 'countTiles' | 'emit' | 'setup' | 'tileRanges' | 'rasterize' | 'rasterBackward' | 'shBackward' | 'geomBackward' | 'statsBackward' | 'poseBackward' | 'poseReduce',
  GPUComputePipeline
>;

interface GaussianState {
  cap: number;
  splats: GPUBuffer;
  rects: GPUBuffer;
  depthKeys: GPUBuffer;
  depthVals: GPUBuffer;
  depthKeysAlt: GPUBuffer;
  depthValsAlt: GPUBuffer;
  offsets: GPUBuffer;
  sortCount: GPUBuffer;
  grad2d: GPUBuffer;
  /** [ceil(cap / 256)][7] per-workgroup sums of the camera pose and log-focal gradient (poseBackward). */
  posePartials: GPUBuffer;
  sorter: RadixSort;
  scan: PrefixScan;
}

interface IsectState {
  cap: number;
  keys: GPUBuffer;
  vals: GPUBuffer;
  keysAlt: GPUBuffer;
  valsAlt: GPUBuffer;
  sorter: RadixSort;
}

interface ImageState {
  width: number;
  height: number;
  tilesX: number;
  tilesY: number;
  rgb: GPUBuffer;
  alpha: GPUBuffer;
  depth: GPUBuffer;
  finalT: GPUBuffer;
  last: GPUBuffer;
  ranges: GPUBuffer;
}

interface ForwardRecord {
  params: GPUBuffer;
  camera: Camera;
  opts: RasterOptions;
  n: number;
  shDegree: number;
  gaussians: GaussianBuffers;
  sortedVals: GPUBuffer;
  img: ImageState;
  g: GaussianState;
}

/**
 * Differentiable tile-based Gaussian rasterizer on WebGPU (3DGS, Kerbl et al. 2023; structure of
 * gsplat). Forward: projection (shaders/project.wgsl), depth sort and tile keys (RadixSort:
 * shaders/sort.wgsl on GPUs, shaders/sort_chunked.wgsl on CPU drivers; shaders/tiles.wgsl),
 * per-tile compositing (shaders/rasterize.wgsl).
 * Backward: shaders/rasterize_backward.wgsl, then shaders/project_backward.wgsl.
 *
 * Conventions: OpenCV camera (w2c R, t; pixels u = fx x/z + cx), pixel (x, y) sampled at
 * (x + 0.5, y + 0.5) like gsplat; 16x16 tiles; colour = SH(view direction camera centre -> mean)
 * + 0.5, clamped at 0; alpha = min(0.99, opacity * exp(-sigma)), skipped below 1/255; a pixel
 * stops before its transmittance drops below 1e-4. Culled (no pixel, no gradient): any non-finite
 * parameter, z < 0.01, a zero quaternion, a 2D covariance over 1e30 (float32 overflow), a
 * non-positive determinant, opacity < 1/255, or a tile rectangle outside the image. The tile
 * rectangle is the exact bounding box of the ellipse where alpha >= 1/255 (opacity-aware).
 * Order: a stable depth sort of the Gaussians, then a stable sort of the (tile, Gaussian) pairs
 * by tile id, i.e. the order of the 64-bit key (tile id << 32 | depth bits) with ties by index.
 *
 * Intersections live in buffers of a fixed capacity (no per-frame readback): when a frame needs
 * more, the extra ones are dropped, the frame is flagged (its backward adds nothing) and
 * `syncCapacity()` (call it at intervals) or `render()` grows the capacity. Check `overflowed`.
 */
export class GaussianRasterizer {
  private g?: GaussianState;
  private isect: IsectState;
  private img?: ImageState;
  private last?: ForwardRecord;
  private readonly status: GPUBuffer;
  private readonly rangeArgs: GPUBuffer;
  private readonly dummy: GPUBuffer;
  /** True once a frame was seen (by syncCapacity/render) that needed more intersections than the capacity. */
  overflowed = false;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipes: Pipes,
    private readonly depthSorterProto: RadixSort,
    private readonly scanProto: PrefixScan,
    tileSorter: RadixSort,
  ) {
    const d = gpu.device;
    this.status = d.createBuffer({ size: 16, usage: STORAGE, label: 'raster.status' });
    this.rangeArgs = d.createBuffer({ size: 16, usage: STORAGE | Usage.INDIRECT, label: 'raster.rangeArgs' });
    this.dummy = d.createBuffer({ size: 16, usage: STORAGE, label: 'raster.dummy' });
    this.isect = this.allocIsect(tileSorter);
  }

  /**
   * Compiles the pipelines.
   * @param gpu device context (subgroup paths are used when gpu.hasSubgroups, unless useSubgroups is false)
   * @param opts.maxIntersections initial intersection capacity (default 2^22); grows via syncCapacity/render
   * @param opts.useSubgroups force the subgroup (true) or plain (false) paths
   * @param opts.sortVariant force the radix sort implementation (default: RadixSort.defaultVariant, 'chunked' on CPU drivers)
   * @param opts.compositing force the compositing kernels (default: defaultCompositing(gpu))
   */
  static async create(
    gpu: GpuContext,
    opts: { maxIntersections?: number; useSubgroups?: boolean; sortVariant?: SortVariant; compositing?: CompositingVariant } = {},
  ): Promise<GaussianRasterizer> {
    const sg = opts.useSubgroups ?? gpu.hasSubgroups;
    if (sg && !gpu.hasSubgroups) throw new Error('GaussianRasterizer.create: useSubgroups requested but the device has no subgroups feature');
    const d = gpu.device;
    const lanes = tileLanes(gpu, sg);
    const wg256 = (opts.compositing ?? defaultCompositing(gpu)) === 'wg256';
    const mk = (code: string, entry: string, file: string) => cachedPipeline(d, code, entry, `shaders/${file}.wgsl`);
    const names = [
      ['project', stageSource.project, 'main', 'project'],
      ['countTiles', stageSource.tiles, 'countTiles', 'tiles'],
      ['emit', stageSource.tiles, 'emit', 'tiles'],
      ['setup', stageSource.tiles, 'setup', 'tiles'],
      ['tileRanges', stageSource.tiles, 'tileRanges', 'tiles'],
      wg256 ? ['rasterize', stageSource.rasterizeWg256, 'main', 'rasterize_wg256'] : ['rasterize', stageSource.rasterize(lanes.count), 'main', 'rasterize'],
      wg256
        ? ['rasterBackward', stageSource.rasterizeBackwardWg256(sg), 'main', 'rasterize_backward_wg256']
        : ['rasterBackward', stageSource.rasterizeBackward(sg && lanes.subgroup, lanes.count), 'main', 'rasterize_backward'],
      ['shBackward', stageSource.projectBackward, 'shBackward', 'project_backward'],
      ['geomBackward', stageSource.projectBackward, 'geomBackward', 'project_backward'],
      ['statsBackward', stageSource.projectBackward, 'statsBackward', 'project_backward'],
      ['poseBackward', stageSource.projectBackward, 'poseBackward', 'project_backward'],
      ['poseReduce', stageSource.projectBackward, 'poseReduce', 'project_backward'],
    ] as const;
    const built = await Promise.all(names.map(([, code, entry, file]) => mk(code, entry, file)));
    const pipes = Object.fromEntries(names.map(([k], i) => [k, built[i]])) as Pipes;
    const cap = Math.max(1024, Math.ceil(opts.maxIntersections ?? 1 << 22));
    const [depthSorter, scan, tileSorter] = await Promise.all([
      RadixSort.create(gpu, 1024, sg, opts.sortVariant),
      PrefixScan.create(gpu, 1025, sg),
      RadixSort.create(gpu, cap, sg, opts.sortVariant),
    ]);
    return new GaussianRasterizer(gpu, pipes, depthSorter, scan, tileSorter);
  }

  /** Current intersection capacity. */
  get maxIntersections(): number {
    return this.isect.cap;
  }

  private allocIsect(sorter: RadixSort): IsectState {
    const d = this.gpu.device;
    const cap = sorter.capacity;
    const mk = (l: string) => d.createBuffer({ size: cap * 4, usage: STORAGE, label: `raster.isect.${l}` });
    return { cap, keys: mk('keys'), vals: mk('vals'), keysAlt: mk('keysAlt'), valsAlt: mk('valsAlt'), sorter };
  }

  private ensureGaussians(n: number): GaussianState {
    if (this.g && this.g.cap >= n) return this.g;
    const d = this.gpu.device;
    const cap = Math.max(1024, Math.ceil(n * 1.25), this.g ? Math.ceil(this.g.cap * 1.5) : 0);
    const mk = (bytes: number, l: string) => d.createBuffer({ size: bytes, usage: STORAGE, label: `raster.${l}` });
    // Old buffers may still be referenced by unsubmitted encoders: let them be garbage-collected.
    this.g = {
      cap,
      splats: mk(cap * 48, 'splats'),
      rects: mk(cap * 16, 'rects'),
      depthKeys: mk(cap * 4, 'depthKeys'),
      depthVals: mk(cap * 4, 'depthVals'),
      depthKeysAlt: mk(cap * 4, 'depthKeysAlt'),
      depthValsAlt: mk(cap * 4, 'depthValsAlt'),
      offsets: mk((cap + 1) * 4, 'offsets'),
      sortCount: mk(16, 'sortCount'),
      grad2d: mk(cap * GRAD2D_WIDTH * 4, 'grad2d'),
      posePartials: mk(Math.ceil(cap / 256) * 7 * 4, 'posePartials'),
      sorter: this.depthSorterProto.withCapacity(cap),
      scan: this.scanProto.withLength(cap + 1),
    };
    return this.g;
  }

  private ensureImage(width: number, height: number): ImageState {
    if (this.img && this.img.width === width && this.img.height === height) return this.img;
    const d = this.gpu.device;
    const tilesX = Math.ceil(width / TILE_SIZE);
    const tilesY = Math.ceil(height / TILE_SIZE);
    const np = width * height;
    const mk = (bytes: number, l: string) => d.createBuffer({ size: Math.max(16, bytes), usage: STORAGE, label: `raster.${l}` });
    this.img = {
      width,
      height,
      tilesX,
      tilesY,
      rgb: mk(np * 12, 'rgb'),
      alpha: mk(np * 4, 'alpha'),
      depth: mk(np * 4, 'depth'),
      finalT: mk(np * 4, 'finalT'),
      last: mk(np * 4, 'last'),
      ranges: mk(tilesX * tilesY * 8, 'ranges'),
    };
    return this.img;
  }

  /** Grows the intersection capacity (keeps nothing: call between frames). */
  private growIntersections(needed: number): void {
    const limit = Math.floor(this.gpu.device.limits.maxStorageBufferBindingSize / 4);
    if (needed > limit) {
      throw new Error(`GaussianRasterizer: ${needed} tile intersections exceed the device's storage-buffer limit (${limit}); render fewer or smaller Gaussians or a smaller image`);
    }
    const cap = Math.min(limit, Math.ceil(Math.max(needed * 1.25, this.isect.cap * 1.5)));
    this.isect = this.allocIsect(this.isect.sorter.withCapacity(cap));
  }

  /**
   * Records projection, depth sort, tile keys, tile sort and compositing into `encoder`.
   * Targets are owned by the rasterizer (reallocated when the size changes).
   * @throws Error when the camera size or the SH degree is invalid
   */
  forward(encoder: GPUCommandEncoder, gaussians: GaussianBuffers, camera: Camera, opts: RasterOptions): RenderTargets {
    const d = this.gpu.device;
    const n = gaussians.count;
    if (!(gaussians.shDegree >= 0 && gaussians.shDegree <= 3)) throw new Error(`GaussianRasterizer.forward: gaussians.shDegree ${gaussians.shDegree} not in 0..3`);
    if (!Number.isInteger(camera.width) || !Number.isInteger(camera.height)) {
      throw new Error(`GaussianRasterizer.forward: camera size must be integers (got ${camera.width}x${camera.height})`);
    }
    // Splat pixel boxes are packed as 16-bit coordinates (shaders/raster_common.wgsl).
    if (camera.width > 65535 || camera.height > 65535) throw new Error(`GaussianRasterizer.forward: image ${camera.width}x${camera.height} exceeds 65535 pixels per side`);
    const g = this.ensureGaussians(n);
    const img = this.ensureImage(camera.width, camera.height);
    const isect = this.isect;
    const params = uniformWith(d, packParams(camera, opts, n, gaussians.shDegree, g.cap + 1, isect.cap, []), 'raster.params');
    const P = gaussians.buffers;

    // 1. projection
    recordPass(
      encoder,
      'projection',
      this.pipes.project,
      bindEntries(d, this.pipes.project, {
        0: params, 1: P.means, 2: P.logScales, 3: P.quats, 4: P.logitOpacities, 5: P.sh,
        6: g.splats, 7: g.rects, 8: g.depthKeys, 9: g.depthVals, 10: g.sortCount,
      }),
      workgroups(Math.max(1, n), 256),
    );
    // 2. stable depth sort of the Gaussians (f32 bits of z are ordered like z for z > 0)
    const sorted = g.sorter.encode(encoder, { keys: g.depthKeys, vals: g.depthVals, keysAlt: g.depthKeysAlt, valsAlt: g.depthValsAlt }, g.sortCount, 32);
    // 3. per-Gaussian tile counts in depth order, scan, emission of (tile, Gaussian) pairs
    const tb = (entries: Record<number, GPUBuffer>, p: GPUComputePipeline) => bindEntries(d, p, { 0: params, ...entries });
    recordPass(encoder, 'sort', this.pipes.countTiles, tb({ 1: g.rects, 2: sorted.vals, 3: g.offsets }, this.pipes.countTiles), workgroups(g.cap + 1, 256));
    g.scan.encode(encoder, g.offsets, 'sort');
    recordPass(
      encoder,
      'sort',
      this.pipes.emit,
      tb({ 1: g.rects, 2: sorted.vals, 3: g.offsets, 4: isect.keys, 5: isect.vals }, this.pipes.emit),
      workgroups(Math.max(1, n), 256),
    );
    recordPass(encoder, 'sort', this.pipes.setup, tb({ 3: g.offsets, 6: this.status, 7: this.rangeArgs }, this.pipes.setup), [1]);
    // 4. stable sort of the intersections by tile id (depth order kept within each tile)
    const tileBits = Math.max(1, Math.ceil(Math.log2(img.tilesX * img.tilesY)));
    const tiles = isect.sorter.encode(encoder, { keys: isect.keys, vals: isect.vals, keysAlt: isect.keysAlt, valsAlt: isect.valsAlt }, this.status, tileBits);
    encoder.clearBuffer(img.ranges);
    recordPass(
      encoder,
      'sort',
      this.pipes.tileRanges,
      bindEntries(d, this.pipes.tileRanges, { 6: this.status, 8: tiles.keys, 9: img.ranges }),
      { indirect: this.rangeArgs },
    );
    // 5. compositing
    recordPass(
      encoder,
      'forward',
      this.pipes.rasterize,
      bindEntries(d, this.pipes.rasterize, {
        0: params, 1: g.splats, 2: tiles.vals, 3: img.ranges, 4: img.rgb, 5: img.alpha, 6: img.depth, 7: img.finalT, 8: img.last,
      }),
      [img.tilesX, img.tilesY],
    );
    this.last = { params, camera, opts, n, shDegree: gaussians.shDegree, gaussians, sortedVals: tiles.vals, img, g };
    return { width: img.width, height: img.height, rgb: img.rgb, alpha: img.alpha, depth: img.depth };
  }

  /**
   * Reads the intersection counter (one small readback: call at intervals, e.g. every 100 steps)
   * and grows the capacity when any frame since the last call needed more than it.
   * @returns intersections of the last frame, the most seen, and whether a frame overflowed
   */
  async syncCapacity(): Promise<{ intersections: number; maxIntersections: number; overflowed: boolean }> {
    const s = await readU32(this.gpu.device, this.status, 4);
    const overflowed = s[2] > this.isect.cap;
    if (overflowed) {
      this.overflowed = true;
      console.warn(`GaussianRasterizer: ${s[2]} intersections needed, capacity ${this.isect.cap}: growing (frames since the last check were incomplete)`);
      this.growIntersections(s[2]);
      this.gpu.device.queue.writeBuffer(this.status, 0, new Uint32Array(4));
    }
    return { intersections: s[1], maxIntersections: s[2], overflowed };
  }

  /**
   * Renders and reads back (tests, CLI, app). Re-renders after growing the capacity when the
   * intersections overflowed, so the result is always complete.
   * @returns rgb [H][W][3], alpha [H][W], depth [H][W] (sum w_i z_i), intersection count
   */
  async render(
    gaussians: GaussianBuffers,
    camera: Camera,
    opts: RasterOptions,
  ): Promise<{ rgb: Float32Array; alpha: Float32Array; depth: Float32Array; intersections: number }> {
    const d = this.gpu.device;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 4) throw new Error('GaussianRasterizer.render: intersection capacity kept overflowing');
      const enc = d.createCommandEncoder();
      const t = this.forward(enc, gaussians, camera, opts);
      d.queue.submit([enc.finish()]);
      const s = await readU32(d, this.status, 4);
      if (s[3] !== 0) {
        this.growIntersections(s[1]);
        continue;
      }
      const np = t.width * t.height;
      return {
        rgb: await readF32(d, t.rgb, np * 3),
        alpha: await readF32(d, t.alpha, np),
        depth: await readF32(d, t.depth, np),
        intersections: s[1],
      };
    }
  }

  /**
   * Reads the tile-sorted intersections of the last (submitted) forward, for tests and debugging:
   * tile ids and Gaussian indices in compositing order (tile-major, then depth, then index).
   * @throws Error when no forward was recorded
   */
  async readIntersections(): Promise<{ tiles: Uint32Array; gaussians: Uint32Array }> {
    const f = this.last;
    if (!f) throw new Error('GaussianRasterizer.readIntersections: no forward recorded');
    const d = this.gpu.device;
    const m = (await readU32(d, this.status, 4))[0];
    const tileKeys = f.sortedVals === this.isect.vals ? this.isect.keys : this.isect.keysAlt;
    if (m === 0) return { tiles: new Uint32Array(0), gaussians: new Uint32Array(0) };
    return { tiles: await readU32(d, tileKeys, m), gaussians: await readU32(d, f.sortedVals, m) };
  }

  /**
   * Records the backward pass of the last forward. ADDS the gradients of the loss into `grads`
   * (same layout as the parameters: means, logScales, quats, logitOpacities, sh; SH bands above
   * the active degree get nothing) and, when `stats` is given, adds |dL/dmean2d| (pixels, this
   * view) into stats.mean2dGradNorm[i] (f32) and 1 into stats.visibleCount[i] (f32) for each
   * Gaussian i whose tile rectangle is non-empty in this view. When `poseGrad` is given, ADDS the
   * gradient of the loss w.r.t. the camera into it (7 f32: dL/dw then dL/dv, camera frame, for
   * the increment x_cam' = exp([w]x) x_cam + v, w in radians, v in world units, the same increment as
   * registerView's applyPoseIncrement with depthScale 1; then dL/d(log f) for fx and fy scaled
   * together, principal point fixed; derivation in shaders/project_backward.wgsl, poseBackward).
   * @param gradRgb [H][W][3] f32 dL/drgb
   * @param gradAlpha [H][W] f32 dL/dalpha, or null
   * @param gradDepth [H][W] f32 dL/ddepth (of the un-normalized depth), or null
   * @param poseGrad >= 28 bytes, f32 [7] accumulator of the pose and focal gradient, or undefined
   * @throws Error when no forward was recorded or `grads` (or a gradient image, stats, poseGrad) is too small
   */
  backward(
    encoder: GPUCommandEncoder,
    gradRgb: GPUBuffer,
    gradAlpha: GPUBuffer | null,
    gradDepth: GPUBuffer | null,
    grads: GaussianBuffers,
    stats?: { mean2dGradNorm: GPUBuffer; visibleCount: GPUBuffer },
    poseGrad?: GPUBuffer,
  ): void {
    const f = this.last;
    if (!f) throw new Error('GaussianRasterizer.backward: no forward recorded');
    if (grads.capacity < f.n) throw new Error(`GaussianRasterizer.backward: grads capacity ${grads.capacity} < ${f.n} Gaussians`);
    const np = f.img.width * f.img.height;
    const checks: [string, GPUBuffer | null | undefined, number][] = [
      ['gradRgb', gradRgb, np * 12],
      ['gradAlpha', gradAlpha, np * 4],
      ['gradDepth', gradDepth, np * 4],
      ['stats.mean2dGradNorm', stats?.mean2dGradNorm, f.n * 4],
      ['stats.visibleCount', stats?.visibleCount, f.n * 4],
      ['poseGrad', poseGrad, 28],
    ];
    for (const [name, buf, bytes] of checks) {
      if (buf && buf.size < bytes) throw new Error(`GaussianRasterizer.backward: ${name} has ${buf.size} bytes, needs ${bytes}`);
    }
    const d = this.gpu.device;
    const params = uniformWith(
      d,
      packParams(f.camera, f.opts, f.n, f.shDegree, f.g.cap + 1, this.isect.cap, [gradAlpha ? 1 : 0, gradDepth ? 1 : 0, stats ? 1 : 0]),
      'raster.params.backward',
    );
    const g = f.g;
    const img = f.img;
    const P = f.gaussians.buffers;
    const G = grads.buffers;
    encoder.clearBuffer(g.grad2d, 0, Math.max(1, f.n) * GRAD2D_WIDTH * 4);
    recordPass(
      encoder,
      'backward',
      this.pipes.rasterBackward,
      bindEntries(d, this.pipes.rasterBackward, {
        0: params, 1: g.splats, 2: f.sortedVals, 3: img.ranges, 4: img.finalT, 5: img.last,
        6: gradRgb, 7: gradAlpha ?? this.dummy, 8: gradDepth ?? this.dummy, 9: g.grad2d, 10: this.status,
      }),
      [img.tilesX, img.tilesY],
    );
    const wg = workgroups(Math.max(1, f.n), 256);
    recordPass(
      encoder,
      'backward.project',
      this.pipes.shBackward,
      bindEntries(d, this.pipes.shBackward, { 0: params, 1: P.means, 5: P.sh, 6: g.grad2d, 7: g.rects, 8: G.means, 12: G.sh }),
      wg,
    );
    recordPass(
      encoder,
      'backward.project',
      this.pipes.geomBackward,
      bindEntries(d, this.pipes.geomBackward, {
        0: params, 1: P.means, 2: P.logScales, 3: P.quats, 4: P.logitOpacities, 6: g.grad2d, 7: g.rects,
        8: G.means, 9: G.logScales, 10: G.quats, 11: G.logitOpacities,
      }),
      wg,
    );
    if (stats) {
      recordPass(
        encoder,
        'backward.project',
        this.pipes.statsBackward,
        bindEntries(d, this.pipes.statsBackward, { 0: params, 6: g.grad2d, 7: g.rects, 13: stats.mean2dGradNorm, 14: stats.visibleCount }),
        wg,
      );
    }
    if (poseGrad) {
      recordPass(
        encoder,
        'backward.pose',
        this.pipes.poseBackward,
        bindEntries(d, this.pipes.poseBackward, {
          0: params, 1: P.means, 2: P.logScales, 3: P.quats, 4: P.logitOpacities, 6: g.grad2d, 7: g.rects, 5: P.sh, 12: G.sh, 15: g.posePartials,
        }),
        wg,
      );
      recordPass(encoder, 'backward.pose', this.pipes.poseReduce, bindEntries(d, this.pipes.poseReduce, { 0: params, 15: g.posePartials, 16: poseGrad }), [1, 1]);
    }
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.status.destroy();
    this.rangeArgs.destroy();
    this.dummy.destroy();
  }
}
