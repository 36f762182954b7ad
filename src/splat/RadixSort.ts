import { STORAGE, Usage } from '../gpu/buffers';
import type { GpuContext } from '../gpu/device';
import { PrefixScan } from './PrefixScan';
import { bindEntries, cachedPipeline, recordPass, uniformWith } from '../gpu/passes';
import { stageSource } from './wgsl';

/** Elements per workgroup block of the 'workgroup' variant (256 threads x 16). */
const BLOCK = 4096;
/** Digit bits per pass of the 'workgroup' variant. */
const BITS_PER_PASS = 4;
/** Most digit bits per pass of the 'chunked' variant (its private histogram has 2^10 bins). */
const CHUNKED_MAX_BITS = 10;
/** Invocations per workgroup of the 'chunked' variant (shaders/sort_chunked.wgsl WG). */
const CHUNKED_WG = 8;

/** Key/value buffers of a sort: `keys`/`vals` hold the input; `keysAlt`/`valsAlt` are scratch of the same size. */
export interface SortBuffers {
  keys: GPUBuffer;
  vals: GPUBuffer;
  keysAlt: GPUBuffer;
  valsAlt: GPUBuffer;
}

/**
 * Implementation of the sort:
 * - 'workgroup' (GPUs): shaders/sort.wgsl, 4 bits per pass, blocks of 4096 elements ranked with
 *   workgroup scans (subgroup operations when available).
 * - 'chunked' (CPU drivers): shaders/sort_chunked.wgsl, up to 10 bits per pass, one invocation
 *   per contiguous chunk with a private histogram: no workgroup memory, no barriers, 3 dispatches
 *   per pass. On lavapipe a barrier costs ~4x the arithmetic around it, so this is several times
 *   faster there; on a GPU it would leave most of the chip idle.
 */
export type SortVariant = 'workgroup' | 'chunked';

/** Adapter descriptions of CPU Vulkan drivers (lavapipe/llvmpipe, SwiftShader). */
const CPU_ADAPTER = /llvmpipe|lavapipe|swiftshader/i;

type Impl =
  | { kind: 'workgroup'; setup: GPUComputePipeline; count: GPUComputePipeline; scatter: GPUComputePipeline; scan: PrefixScan }
  | { kind: 'chunked'; count: GPUComputePipeline; scanDigits: GPUComputePipeline; scatter: GPUComputePipeline };

/**
 * Stable LSD radix sort of (u32 key, u32 value) pairs on the GPU, sorting by exactly the low
 * `bits` bits of the keys (ties, higher bits included, keep their input order). The element count
 * is read on the GPU from a u32 buffer (clamped to the capacity), so no size is read back.
 * Two implementations (SortVariant): by default 'chunked' on CPU adapters, 'workgroup' elsewhere.
 * Method ('workgroup'): Merrill & Grimshaw, "High performance and scalable radix sorting" (2011),
 * reduce-then-scan; 'chunked' is the same reduce-then-scan with one serial chunk per invocation.
 */
export class RadixSort {
  /** 'workgroup': [16][numBlocksCap] digit counts; 'chunked': [2^digitBits][chunks] (up to 2^10 rows). */
  private readonly hist: GPUBuffer;
  /** 'workgroup': indirect dispatch args; 'chunked': [2^digitBits] digit totals. */
  private readonly aux: GPUBuffer;
  /** Pass uniforms by key bits (each pass's shift and width depend on them). */
  private readonly passUniforms = new Map<number, GPUBuffer[]>();
  /** Chunks of the 'chunked' variant (multiple of CHUNKED_WG). */
  private readonly chunks: number;

  private constructor(
    private readonly device: GPUDevice,
    private readonly impl: Impl,
    /** Maximum number of pairs. */
    readonly capacity: number,
    readonly useSubgroups: boolean,
  ) {
    if (impl.kind === 'workgroup') {
      this.chunks = 0;
      this.hist = device.createBuffer({ size: 16 * Math.ceil(capacity / BLOCK) * 4, usage: STORAGE, label: 'sort.hist' });
      this.aux = device.createBuffer({ size: 16, usage: STORAGE | Usage.INDIRECT, label: 'sort.args' });
    } else {
      this.chunks = RadixSort.chunksFor(capacity);
      this.hist = device.createBuffer({ size: (1 << CHUNKED_MAX_BITS) * this.chunks * 4, usage: STORAGE, label: 'sort.hist' });
      this.aux = device.createBuffer({ size: (1 << CHUNKED_MAX_BITS) * 4, usage: STORAGE, label: 'sort.digitTotals' });
    }
  }

  /**
   * Chunks of the 'chunked' variant for a capacity: about 256 elements each for small capacities,
   * at most 128 (16 workgroups: enough to keep a CPU's threads busy; more would only grow the
   * [2^digitBits][chunks] histogram, which each pass writes, scans and reads).
   */
  private static chunksFor(capacity: number): number {
    const c = Math.ceil(Math.ceil(capacity / 256) / CHUNKED_WG) * CHUNKED_WG;
    return Math.min(128, Math.max(CHUNKED_WG, c));
  }

  /** Variant used by default on this adapter: 'chunked' on CPU drivers, else 'workgroup'. */
  static defaultVariant(gpu: Pick<GpuContext, 'adapterName'>): SortVariant {
    return CPU_ADAPTER.test(gpu.adapterName) ? 'chunked' : 'workgroup';
  }

  /**
   * @param gpu device context
   * @param capacity maximum number of key/value pairs (>= 1)
   * @param useSubgroups subgroup path of the 'workgroup' variant (default: when the device has the feature)
   * @param variant implementation (default: RadixSort.defaultVariant(gpu)); tests force each
   * @throws Error when useSubgroups is asked for on a device without the feature
   */
  static async create(gpu: GpuContext, capacity: number, useSubgroups = gpu.hasSubgroups, variant = RadixSort.defaultVariant(gpu)): Promise<RadixSort> {
    if (useSubgroups && !gpu.hasSubgroups) throw new Error('RadixSort.create: the device has no subgroups feature');
    const cap = Math.max(1, Math.ceil(capacity));
    let impl: Impl;
    if (variant === 'workgroup') {
      const code = stageSource.sort(useSubgroups);
      const label = 'shaders/sort.wgsl';
      const [setup, count, scatter, scan] = await Promise.all([
        cachedPipeline(gpu.device, code, 'setupArgs', label),
        cachedPipeline(gpu.device, code, 'countDigits', label),
        cachedPipeline(gpu.device, code, 'scatter', label),
        PrefixScan.create(gpu, 16 * Math.ceil(cap / BLOCK), useSubgroups),
      ]);
      impl = { kind: 'workgroup', setup, count, scatter, scan };
    } else {
      const code = stageSource.sortChunked;
      const label = 'shaders/sort_chunked.wgsl';
      const [count, scanDigits, scatter] = await Promise.all([
        cachedPipeline(gpu.device, code, 'countChunks', label),
        cachedPipeline(gpu.device, code, 'scanDigits', label),
        cachedPipeline(gpu.device, code, 'scatterChunks', label),
      ]);
      impl = { kind: 'chunked', count, scanDigits, scatter };
    }
    return new RadixSort(gpu.device, impl, cap, useSubgroups);
  }

  /** Implementation in use. */
  get variant(): SortVariant {
    return this.impl.kind;
  }

  /** A sorter of another capacity sharing this one's compiled pipelines (no await needed). */
  withCapacity(capacity: number): RadixSort {
    const cap = Math.max(1, Math.ceil(capacity));
    const impl: Impl = this.impl.kind === 'workgroup' ? { ...this.impl, scan: this.impl.scan.withLength(16 * Math.ceil(cap / BLOCK)) } : this.impl;
    return new RadixSort(this.device, impl, cap, this.useSubgroups);
  }

  /** Number of passes for `bits` key bits (it decides which buffers hold the result, see encode). */
  passes(bits: number): number {
    const per = this.impl.kind === 'workgroup' ? BITS_PER_PASS : CHUNKED_MAX_BITS;
    return Math.max(1, Math.ceil(bits / per));
  }

  /** Uniforms of the passes for `bits` key bits: [shift, digitBits, a, b] per pass. */
  private uniformsFor(bits: number): GPUBuffer[] {
    let us = this.passUniforms.get(bits);
    if (us) return us;
    const passes = this.passes(bits);
    // Equal widths (10 bits: one pass of 10, 32 bits: four of 8), the last pass cut to `bits`.
    const width = Math.ceil(bits / passes);
    us = [];
    for (let p = 0; p < passes; p++) {
      const shift = p * width;
      const w = Math.min(width, bits - shift);
      const tail = this.impl.kind === 'workgroup' ? [Math.ceil(this.capacity / BLOCK), this.capacity] : [this.chunks, this.capacity];
      us.push(uniformWith(this.device, Uint32Array.of(shift, w, tail[0], tail[1]), `sort.pass${p}of${bits}`));
    }
    this.passUniforms.set(bits, us);
    return us;
  }

  /**
   * Records the sort of the first min(count[0], capacity) pairs by the low `bits` bits of the key.
   * Returns the buffers holding the sorted pairs: `keys`/`vals` after an even number of passes,
   * `keysAlt`/`valsAlt` after an odd one (see passes()).
   * @param count u32 buffer whose first element is the number of pairs
   */
  encode(encoder: GPUCommandEncoder, bufs: SortBuffers, count: GPUBuffer, bits = 32, stage = 'sort'): { keys: GPUBuffer; vals: GPUBuffer } {
    if (!(bits >= 1 && bits <= 32 && Number.isInteger(bits))) throw new Error(`RadixSort.encode: bits must be an integer in 1..32 (got ${bits})`);
    const d = this.device;
    const impl = this.impl;
    const us = this.uniformsFor(bits);
    let src = { keys: bufs.keys, vals: bufs.vals };
    let dst = { keys: bufs.keysAlt, vals: bufs.valsAlt };
    if (impl.kind === 'workgroup') {
      recordPass(encoder, stage, impl.setup, bindEntries(d, impl.setup, { 0: us[0], 1: count, 7: this.aux }), [1]);
    }
    for (const u of us) {
      if (impl.kind === 'workgroup') {
        encoder.clearBuffer(this.hist);
        recordPass(encoder, stage, impl.count, bindEntries(d, impl.count, { 0: u, 1: count, 2: src.keys, 6: this.hist }), { indirect: this.aux });
        impl.scan.encode(encoder, this.hist, stage);
        recordPass(encoder, stage,
          impl.scatter,
          bindEntries(d, impl.scatter, { 0: u, 1: count, 2: src.keys, 3: src.vals, 4: dst.keys, 5: dst.vals, 6: this.hist }),
          { indirect: this.aux },
        );
      } else {
        const groups = [this.chunks / CHUNKED_WG] as [number];
        recordPass(encoder, stage, impl.count, bindEntries(d, impl.count, { 0: u, 1: count, 2: src.keys, 6: this.hist }), groups);
        recordPass(encoder, stage, impl.scanDigits, bindEntries(d, impl.scanDigits, { 0: u, 6: this.hist, 7: this.aux }), [(1 << CHUNKED_MAX_BITS) / CHUNKED_WG]);
        recordPass(encoder, stage,
          impl.scatter,
          bindEntries(d, impl.scatter, { 0: u, 1: count, 2: src.keys, 3: src.vals, 4: dst.keys, 5: dst.vals, 6: this.hist, 7: this.aux }),
          groups,
        );
      }
      [src, dst] = [dst, src];
    }
    return src;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.hist.destroy();
    this.aux.destroy();
    for (const us of this.passUniforms.values()) for (const u of us) u.destroy();
    if (this.impl.kind === 'workgroup') this.impl.scan.destroy();
  }
}
