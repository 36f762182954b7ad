import { STORAGE, Usage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { PrefixScan } from './PrefixScan';
import { bindEntries, cachedPipeline, recordPass, uniformWith } from '../gpu/passes';
import { stageSource } from './wgsl';

const BLOCK = 4096;
const BITS_PER_PASS = 4;

/** Key/value buffers of a sort: `keys`/`vals` hold the input; `keysAlt`/`valsAlt` are scratch of the same size. */
export interface SortBuffers {
  keys: GPUBuffer;
  vals: GPUBuffer;
  keysAlt: GPUBuffer;
  valsAlt: GPUBuffer;
}

/**
 * Stable LSD radix sort of (u32 key, u32 value) pairs on the GPU (shaders/sort.wgsl), 4 bits per
 * pass, sorting only the low `bits` bits of the keys. The element count is read on the GPU from a
 * u32 buffer (clamped to the capacity), so no size is read back; dispatches are indirect.
 * Uses subgroup operations for the workgroup scans when created with `useSubgroups`.
 * Method: Merrill & Grimshaw, "High performance and scalable radix sorting" (2011), reduce-then-scan.
 */
export class RadixSort {
  private readonly hist: GPUBuffer;
  private readonly args: GPUBuffer;
  private readonly passUniforms: GPUBuffer[] = [];

  private constructor(
    private readonly device: GPUDevice,
    private readonly pipes: { setup: GPUComputePipeline; count: GPUComputePipeline; scatter: GPUComputePipeline },
    private readonly scan: PrefixScan,
    /** Maximum number of pairs. */
    readonly capacity: number,
    readonly useSubgroups: boolean,
  ) {
    const numBlocksCap = Math.ceil(capacity / BLOCK);
    this.hist = device.createBuffer({ size: 16 * numBlocksCap * 4, usage: STORAGE, label: 'sort.hist' });
    this.args = device.createBuffer({ size: 16, usage: STORAGE | Usage.INDIRECT, label: 'sort.args' });
    for (let p = 0; p < 32 / BITS_PER_PASS; p++) {
      this.passUniforms.push(uniformWith(device, Uint32Array.of(p * BITS_PER_PASS, numBlocksCap, capacity, 0), `sort.pass${p}`));
    }
  }

  /**
   * @param gpu device context
   * @param capacity maximum number of key/value pairs (>= 1)
   * @param useSubgroups subgroup path (default: when the device has the feature)
   * @throws Error when useSubgroups is asked for on a device without the feature
   */
  static async create(gpu: GpuContext, capacity: number, useSubgroups = gpu.hasSubgroups): Promise<RadixSort> {
    if (useSubgroups && !gpu.hasSubgroups) throw new Error('RadixSort.create: the device has no subgroups feature');
    const cap = Math.max(1, Math.ceil(capacity));
    const code = stageSource.sort(useSubgroups);
    const label = 'shaders/sort.wgsl';
    const [setup, count, scatter, scan] = await Promise.all([
      cachedPipeline(gpu.device, code, 'setupArgs', label),
      cachedPipeline(gpu.device, code, 'countDigits', label),
      cachedPipeline(gpu.device, code, 'scatter', label),
      PrefixScan.create(gpu, 16 * Math.ceil(cap / BLOCK), useSubgroups),
    ]);
    return new RadixSort(gpu.device, { setup, count, scatter }, scan, cap, useSubgroups);
  }

  /** A sorter of another capacity sharing this one's compiled pipelines (no await needed). */
  withCapacity(capacity: number): RadixSort {
    const cap = Math.max(1, Math.ceil(capacity));
    return new RadixSort(this.device, this.pipes, this.scan.withLength(16 * Math.ceil(cap / BLOCK)), cap, this.useSubgroups);
  }

  /** Number of passes for `bits` key bits. */
  static passes(bits: number): number {
    return Math.max(1, Math.ceil(bits / BITS_PER_PASS));
  }

  /**
   * Records the sort of the first min(count[0], capacity) pairs by the low `bits` bits of the key.
   * Returns the buffers holding the sorted pairs: `keys`/`vals` after an even number of passes,
   * `keysAlt`/`valsAlt` after an odd one (see RadixSort.passes).
   * @param count u32 buffer whose first element is the number of pairs
   * @param stage stage name of the passes (StageTimer)
   */
  encode(encoder: GPUCommandEncoder, bufs: SortBuffers, count: GPUBuffer, bits = 32, stage = 'sort'): { keys: GPUBuffer; vals: GPUBuffer } {
    if (!(bits >= 1 && bits <= 32)) throw new Error(`RadixSort.encode: bits must be in 1..32 (got ${bits})`);
    const d = this.device;
    recordPass(encoder, stage, this.pipes.setup, bindEntries(d, this.pipes.setup, { 0: this.passUniforms[0], 1: count, 7: this.args }), [1]);
    let src = { keys: bufs.keys, vals: bufs.vals };
    let dst = { keys: bufs.keysAlt, vals: bufs.valsAlt };
    for (let p = 0; p < RadixSort.passes(bits); p++) {
      const u = this.passUniforms[p];
      encoder.clearBuffer(this.hist);
      recordPass(encoder, stage, this.pipes.count, bindEntries(d, this.pipes.count, { 0: u, 1: count, 2: src.keys, 6: this.hist }), { indirect: this.args });
      this.scan.encode(encoder, this.hist, stage);
      recordPass(
        encoder,
        stage,
        this.pipes.scatter,
        bindEntries(d, this.pipes.scatter, { 0: u, 1: count, 2: src.keys, 3: src.vals, 4: dst.keys, 5: dst.vals, 6: this.hist }),
        { indirect: this.args },
      );
      [src, dst] = [dst, src];
    }
    return src;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.hist.destroy();
    this.args.destroy();
    for (const u of this.passUniforms) u.destroy();
    this.scan.destroy();
  }
}
