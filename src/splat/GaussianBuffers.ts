import { createGaussianCloud, shCoeffCount, type GaussianCloud } from '../core/GaussianCloud';
import { STORAGE, readF32, writeBuffer } from '../gpu/buffers';

/** SH coefficients allocated per Gaussian and channel on the GPU (degree 3), whatever the active degree. */
export const GPU_SH_COEFFS = 16;

/** Names of the parameter groups, in the order used by optimizers and gradient buffers. */
export const PARAM_GROUPS = ['means', 'logScales', 'quats', 'logitOpacities', 'sh'] as const;
export type ParamGroup = (typeof PARAM_GROUPS)[number];

/** Floats per Gaussian in each parameter group. */
export const GROUP_WIDTH: Record<ParamGroup, number> = {
  means: 3,
  logScales: 3,
  quats: 4,
  logitOpacities: 1,
  sh: GPU_SH_COEFFS * 3,
};

/**
 * Gaussian parameters (or gradients, or optimizer moments) in GPU storage buffers, structure of
 * arrays, with growable capacity. Each group is a flat `array<f32>`:
 * means [N][3], logScales [N][3], quats [N][4] (w,x,y,z), logitOpacities [N], sh [N][16][3]
 * (coefficient-major, RGB inner; coefficients above the active degree are zero).
 * Only the first `count` Gaussians are live; `capacity` is what is allocated.
 */
export class GaussianBuffers {
  count = 0;
  capacity: number;
  /** Active SH degree (0-3): how many SH bands the rasterizer evaluates. */
  shDegree = 0;
  readonly buffers: Record<ParamGroup, GPUBuffer>;

  /**
   * @param device the WebGPU device
   * @param capacity Gaussians to allocate room for (>= 1)
   * @param label prefix of the buffer labels
   */
  constructor(
    readonly device: GPUDevice,
    capacity: number,
    readonly label = 'gaussians',
  ) {
    this.capacity = Math.max(1, Math.ceil(capacity));
    this.buffers = {} as Record<ParamGroup, GPUBuffer>;
    for (const g of PARAM_GROUPS) this.buffers[g] = this.alloc(g, this.capacity);
  }

  private alloc(group: ParamGroup, capacity: number): GPUBuffer {
    return this.device.createBuffer({ size: capacity * GROUP_WIDTH[group] * 4, usage: STORAGE, label: `${this.label}.${group}` });
  }

  /**
   * Grows the allocation to hold at least `n` Gaussians (by 1.5x steps), keeping the live values.
   * Returns true when the buffers were replaced (bind groups that use them must be rebuilt).
   */
  ensureCapacity(n: number): boolean {
    if (n <= this.capacity) return false;
    const cap = Math.max(n, Math.ceil(this.capacity * 1.5));
    const enc = this.device.createCommandEncoder();
    const olds: GPUBuffer[] = [];
    for (const g of PARAM_GROUPS) {
      const next = this.alloc(g, cap);
      if (this.count > 0) enc.copyBufferToBuffer(this.buffers[g], 0, next, 0, this.count * GROUP_WIDTH[g] * 4);
      olds.push(this.buffers[g]);
      this.buffers[g] = next;
    }
    this.device.queue.submit([enc.finish()]);
    for (const b of olds) b.destroy();
    this.capacity = cap;
    return true;
  }

  /**
   * Zeroes every group's first `rows` Gaussians (default: the whole capacity). A training step
   * clears only the live rows: the buffers are sized for growth, and clears are memory-bound.
   */
  clear(encoder?: GPUCommandEncoder, rows = this.capacity): void {
    const enc = encoder ?? this.device.createCommandEncoder();
    const n = Math.min(Math.max(0, Math.floor(rows)), this.capacity);
    for (const g of PARAM_GROUPS) if (n > 0) enc.clearBuffer(this.buffers[g], 0, n * GROUP_WIDTH[g] * 4);
    if (!encoder) this.device.queue.submit([enc.finish()]);
  }

  /**
   * Uploads a CPU cloud (SH padded to 16 coefficients). Sets count and shDegree.
   * @throws Error when the cloud's arrays do not match its count.
   */
  upload(cloud: GaussianCloud): void {
    const n = cloud.count;
    const k = shCoeffCount(cloud.shDegree);
    const checks: [string, number, number][] = [
      ['means', cloud.means.length, n * 3],
      ['logScales', cloud.logScales.length, n * 3],
      ['quats', cloud.quats.length, n * 4],
      ['logitOpacities', cloud.logitOpacities.length, n],
      ['sh', cloud.sh.length, n * k * 3],
    ];
    for (const [name, got, want] of checks) {
      if (got !== want) throw new Error(`GaussianBuffers.upload: ${name} has ${got} values, expected ${want}`);
    }
    if (cloud.shDegree > 3) throw new Error(`GaussianBuffers.upload: SH degree ${cloud.shDegree} > 3`);
    this.ensureCapacity(n);
    const d = this.device;
    writeBuffer(d, this.buffers.means, cloud.means);
    writeBuffer(d, this.buffers.logScales, cloud.logScales);
    writeBuffer(d, this.buffers.quats, cloud.quats);
    writeBuffer(d, this.buffers.logitOpacities, cloud.logitOpacities);
    const sh = new Float32Array(n * GPU_SH_COEFFS * 3);
    for (let i = 0; i < n; i++) sh.set(cloud.sh.subarray(i * k * 3, (i + 1) * k * 3), i * GPU_SH_COEFFS * 3);
    writeBuffer(d, this.buffers.sh, sh);
    this.count = n;
    this.shDegree = cloud.shDegree;
  }

  /** Reads the live Gaussians back to a CPU cloud with SH truncated to `shDegree` (default: active degree). */
  async download(shDegree = this.shDegree): Promise<GaussianCloud> {
    const n = this.count;
    const cloud = createGaussianCloud(n, shDegree);
    if (n === 0) return cloud;
    cloud.means.set(await readF32(this.device, this.buffers.means, n * 3));
    cloud.logScales.set(await readF32(this.device, this.buffers.logScales, n * 3));
    cloud.quats.set(await readF32(this.device, this.buffers.quats, n * 4));
    cloud.logitOpacities.set(await readF32(this.device, this.buffers.logitOpacities, n));
    const sh = await readF32(this.device, this.buffers.sh, n * GPU_SH_COEFFS * 3);
    const k = shCoeffCount(shDegree);
    for (let i = 0; i < n; i++) cloud.sh.set(sh.subarray(i * GPU_SH_COEFFS * 3, i * GPU_SH_COEFFS * 3 + k * 3), i * k * 3);
    return cloud;
  }

  /** Frees the GPU memory. */
  destroy(): void {
    for (const g of PARAM_GROUPS) this.buffers[g].destroy();
  }
}
