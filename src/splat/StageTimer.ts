/**
 * GPU timing of named stages with timestamp queries (one begin/end pair per compute pass; a
 * stage's time is its passes' last end minus first begin). Used by the benchmark; requires the
 * `timestamp-query` device feature.
 */
export class StageTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private used = 0;
  private stage = '';
  private readonly spans: { stage: string; begin: number; end: number }[] = [];

  /** @param maxPasses most compute passes timed between two `read` calls */
  constructor(
    private readonly device: GPUDevice,
    private readonly maxPasses = 512,
  ) {
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * maxPasses });
    this.resolve = device.createBuffer({ size: 16 * maxPasses, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  /** Names the stage of the passes recorded from now on. */
  setStage(stage: string): void {
    this.stage = stage;
  }

  /** Timestamp writes for the next compute pass (undefined once the query set is full). */
  next(): GPUComputePassTimestampWrites | undefined {
    if (this.used >= this.maxPasses) return undefined;
    const i = this.used++;
    this.spans.push({ stage: this.stage, begin: 2 * i, end: 2 * i + 1 });
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /**
   * Resolves the queries (records into `encoder` and submits it), then returns ms per stage and
   * resets. mode 'span': last end minus first begin of the stage's passes; 'sum': sum of pass times.
   */
  async read(encoder: GPUCommandEncoder, mode: 'span' | 'sum' = 'span'): Promise<Record<string, number>> {
    const n = 2 * this.used;
    const staging = this.device.createBuffer({ size: Math.max(8, n * 8), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    if (n > 0) {
      encoder.resolveQuerySet(this.querySet, 0, n, this.resolve, 0);
      encoder.copyBufferToBuffer(this.resolve, 0, staging, 0, n * 8);
    }
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    const first: Record<string, bigint> = {};
    const last: Record<string, bigint> = {};
    for (const s of this.spans) {
      if (!(s.stage in first) || t[s.begin] < first[s.stage]) first[s.stage] = t[s.begin];
      if (!(s.stage in last) || t[s.end] > last[s.stage]) last[s.stage] = t[s.end];
    }
    const out: Record<string, number> = {};
    if (mode === 'sum') {
      for (const sp of this.spans) out[sp.stage] = (out[sp.stage] ?? 0) + Number(t[sp.end] - t[sp.begin]) / 1e6;
    } else {
      for (const k of Object.keys(first)) out[k] = Number(last[k] - first[k]) / 1e6;
    }
    this.used = 0;
    this.spans.length = 0;
    return out;
  }

  /** Frees the query set. */
  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}
