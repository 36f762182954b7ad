import rayBindWgsl from '../../shaders/ray_bind.wgsl?raw';
import type { GpuContext } from '../gpu/device';
import { createStorageBuffer, createUniformBuffer, writeBuffer } from '../gpu/buffers';
import { bindEntries, cachedPipeline, recordPass, workgroups } from '../gpu/passes';
import type { GaussianBuffers } from '../splat/GaussianBuffers';
import { FlatAdam } from './Adam';

/** Rays of per-pixel Gaussians: row i of the Gaussian buffers lies at origin_i + depth_i * dir_i. */
export interface BoundRays {
  /** N*3 ray origins (camera centres), world units. */
  origin: Float32Array;
  /** N*3 unit ray directions. */
  dir: Float32Array;
  /** N initial distances along the rays. */
  depth: Float32Array;
}

/** A per-view grid of per-pixel Gaussians: cell (row-major, width*height) -> Gaussian row or -1. */
export interface DepthGrid {
  width: number;
  height: number;
  index: Int32Array;
}

/**
 * The coherent phase of CoherentGS (Paliwal et al. 2024, Sec. 4): Gaussians born from a view's
 * pixels keep their pixel ray and only their distance t along it is optimized (its own Adam);
 * the per-view grids of t feed the total-variation loss. Rows [0, N) of the Gaussians are bound.
 */
export class RayBinding {
  readonly count: number;
  readonly rayT: GPUBuffer;
  readonly gradT: GPUBuffer;
  /** Per grid: t of each cell, its validity (1/0) and the TV gradient w.r.t. the cell. */
  readonly grids: { width: number; height: number; cells: number; index: GPUBuffer; t: GPUBuffer; valid: GPUBuffer; grad: GPUBuffer; uniform: GPUBuffer }[];
  private readonly origin: GPUBuffer;
  private readonly dir: GPUBuffer;
  private readonly uniform: GPUBuffer;

  private constructor(
    private readonly gpu: GpuContext,
    private readonly pipes: Record<'gather_grad' | 'apply_rays' | 'grid_gather' | 'grid_scatter', GPUComputePipeline>,
    private readonly adam: FlatAdam,
    rays: BoundRays,
    grids: DepthGrid[],
  ) {
    const d = gpu.device;
    this.count = rays.depth.length;
    this.origin = createStorageBuffer(d, rays.origin, 'rays.origin');
    this.dir = createStorageBuffer(d, rays.dir, 'rays.dir');
    this.rayT = createStorageBuffer(d, rays.depth, 'rays.t');
    this.gradT = createStorageBuffer(d, this.count * 4, 'rays.gradT');
    this.uniform = createUniformBuffer(d, 16, 'rays.params');
    writeBuffer(d, this.uniform, Uint32Array.from([this.count, 0, 0, 0]));
    this.grids = grids.map((g, k) => {
      const cells = g.width * g.height;
      const uniform = createUniformBuffer(d, 16, `rays.grid${k}.params`);
      writeBuffer(d, uniform, Uint32Array.from([this.count, cells, 0, 0]));
      return {
        width: g.width,
        height: g.height,
        cells,
        index: createStorageBuffer(d, g.index, `rays.grid${k}.index`),
        t: createStorageBuffer(d, cells * 4, `rays.grid${k}.t`),
        valid: createStorageBuffer(d, cells * 4, `rays.grid${k}.valid`),
        grad: createStorageBuffer(d, cells * 4, `rays.grid${k}.grad`),
        uniform,
      };
    });
  }

  /**
   * Uploads the rays and grids.
   * @throws Error when array lengths disagree or a grid points past the bound rows.
   */
  static async create(gpu: GpuContext, rays: BoundRays, grids: DepthGrid[]): Promise<RayBinding> {
    const n = rays.depth.length;
    if (rays.origin.length !== n * 3 || rays.dir.length !== n * 3) {
      throw new Error(`RayBinding: origin/dir must hold ${n * 3} values (got ${rays.origin.length}, ${rays.dir.length})`);
    }
    for (const [k, g] of grids.entries()) {
      if (g.index.length !== g.width * g.height) throw new Error(`RayBinding: grid ${k} index has ${g.index.length} cells, expected ${g.width * g.height}`);
      for (const j of g.index) if (j >= n) throw new Error(`RayBinding: grid ${k} refers to Gaussian ${j} of ${n}`);
    }
    const label = 'shaders/ray_bind.wgsl';
    const d = gpu.device;
    const pipes = {
      gather_grad: await cachedPipeline(d, rayBindWgsl, 'gather_grad', label),
      apply_rays: await cachedPipeline(d, rayBindWgsl, 'apply_rays', label),
      grid_gather: await cachedPipeline(d, rayBindWgsl, 'grid_gather', label),
      grid_scatter: await cachedPipeline(d, rayBindWgsl, 'grid_scatter', label),
    };
    return new RayBinding(gpu, pipes, await FlatAdam.create(gpu, n), rays, grids);
  }

  /** One pass of entry point `name` over `n` threads, bindings {binding: buffer}. */
  private run(enc: GPUCommandEncoder, name: keyof RayBinding['pipes'], entries: Record<number, GPUBuffer>, n: number) {
    const pipe = this.pipes[name];
    recordPass(enc, 'rayBinding', pipe, bindEntries(this.gpu.device, pipe, entries, `rays.${name}`), workgroups(n, 256));
  }

  /** Clears the t gradient and fills each grid with the current t values (before the losses). */
  recordGridGather(enc: GPUCommandEncoder): void {
    enc.clearBuffer(this.gradT);
    for (const g of this.grids) {
      this.run(enc, 'grid_gather', { 0: g.uniform, 5: this.rayT, 7: g.index, 8: g.t, 9: g.valid }, g.cells);
      enc.clearBuffer(g.grad);
    }
  }

  /**
   * After the rasterizer backward and the grid losses: projects the mean gradients of the bound
   * rows onto their rays, adds the grids' gradients, steps Adam on t and rewrites the means.
   */
  recordUpdate(enc: GPUCommandEncoder, gaussians: GaussianBuffers, grads: GaussianBuffers, lr: number): void {
    this.run(enc, 'gather_grad', { 0: this.uniform, 2: grads.buffers.means, 4: this.dir, 6: this.gradT }, this.count);
    for (const g of this.grids) {
      this.run(enc, 'grid_scatter', { 0: g.uniform, 6: this.gradT, 7: g.index, 10: g.grad }, g.cells);
    }
    this.adam.record(enc, this.rayT, this.gradT, lr);
    this.recordApply(enc, gaussians);
  }

  /** Writes mean_i = origin_i + t_i dir_i into the Gaussians' means. */
  recordApply(enc: GPUCommandEncoder, gaussians: GaussianBuffers): void {
    this.run(enc, 'apply_rays', { 0: this.uniform, 1: gaussians.buffers.means, 3: this.origin, 4: this.dir, 5: this.rayT }, this.count);
  }

  destroy(): void {
    for (const b of [this.origin, this.dir, this.rayT, this.gradT, this.uniform]) b.destroy();
    for (const g of this.grids) for (const b of [g.index, g.t, g.valid, g.grad, g.uniform]) b.destroy();
    this.adam.destroy();
  }
}
