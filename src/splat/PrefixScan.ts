import { STORAGE } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { bindEntries, cachedPipeline, recordPass, uniformWith } from '../gpu/passes';
import { stageSource } from './wgsl';

const BLOCK = 1024;

/**
 * Device-wide exclusive prefix sum of a u32 buffer of fixed length `n` (in place), on the GPU
 * (shaders/scan.wgsl): per-1024-element block scans, recursive scan of the block sums, add back.
 * The length is fixed at creation so that the scan records into any encoder without queue writes.
 */
export class PrefixScan {
  private levels: { n: number; sums: GPUBuffer; uniform: GPUBuffer }[] = [];
  private bindCache = new WeakMap<GPUBuffer, GPUBindGroup[][]>();

  private constructor(
    private readonly device: GPUDevice,
    private readonly scanPipe: GPUComputePipeline,
    private readonly addPipe: GPUComputePipeline,
    /** Elements scanned. */
    readonly n: number,
  ) {
    let len = n;
    for (;;) {
      const blocks = Math.ceil(len / BLOCK);
      this.levels.push({
        n: len,
        sums: device.createBuffer({ size: Math.max(4, blocks * 4), usage: STORAGE, label: `scan.sums${this.levels.length}` }),
        uniform: uniformWith(device, Uint32Array.of(len, 0, 0, 0), 'scan.params'),
      });
      if (blocks <= 1) break;
      len = blocks;
    }
  }

  /**
   * @param gpu device context
   * @param n number of u32 elements scanned (>= 1)
   * @param useSubgroups use subgroup operations (requires gpu.hasSubgroups)
   */
  static async create(gpu: GpuContext, n: number, useSubgroups = gpu.hasSubgroups): Promise<PrefixScan> {
    if (!(n >= 1)) throw new Error(`PrefixScan.create: n must be >= 1 (got ${n})`);
    if (useSubgroups && !gpu.hasSubgroups) throw new Error('PrefixScan.create: the device has no subgroups feature');
    const code = stageSource.scan(useSubgroups);
    const [scanPipe, addPipe] = await Promise.all([
      cachedPipeline(gpu.device, code, 'scanBlocks', 'shaders/scan.wgsl'),
      cachedPipeline(gpu.device, code, 'addSums', 'shaders/scan.wgsl'),
    ]);
    return new PrefixScan(gpu.device, scanPipe, addPipe, Math.ceil(n));
  }

  /** A scan of another length sharing this one's compiled pipelines (no await needed). */
  withLength(n: number): PrefixScan {
    if (!(n >= 1)) throw new Error(`PrefixScan.withLength: n must be >= 1 (got ${n})`);
    return new PrefixScan(this.device, this.scanPipe, this.addPipe, Math.ceil(n));
  }

  /** Records the in-place exclusive scan of data[0..n) (u32) into `encoder`, its passes named `stage` (StageTimer). */
  encode(encoder: GPUCommandEncoder, data: GPUBuffer, stage = 'scan'): void {
    let groups = this.bindCache.get(data);
    if (!groups) {
      groups = this.levels.map((lv, i) => {
        const buf = i === 0 ? data : this.levels[i - 1].sums;
        const e = { 0: buf, 1: lv.sums, 2: lv.uniform };
        return [bindEntries(this.device, this.scanPipe, e), bindEntries(this.device, this.addPipe, e)];
      });
      this.bindCache.set(data, groups);
    }
    for (let i = 0; i < this.levels.length; i++) {
      recordPass(encoder, stage, this.scanPipe, groups[i][0], [Math.ceil(this.levels[i].n / BLOCK)]);
    }
    for (let i = this.levels.length - 2; i >= 0; i--) {
      recordPass(encoder, stage, this.addPipe, groups[i][1], [Math.ceil(this.levels[i].n / BLOCK)]);
    }
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    for (const lv of this.levels) {
      lv.sums.destroy();
      lv.uniform.destroy();
    }
  }
}
