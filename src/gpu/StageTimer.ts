/**
 * GPU timing of named stages with timestamp queries: while active (setActiveTimer in ./passes),
 * every compute pass recorded through recordPass gets one begin/end timestamp pair under the stage
 * name it was recorded with. Used by the benchmarks; requires the `timestamp-query` device feature.
 */
export class StageTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolve: GPUBuffer;
  private used = 0;
  private skipped = 0;
  private readonly spans: { stage: string; begin: number; end: number }[] = [];
  /** Passes recorded after the query set was full, before the last `read` (not timed). */
  dropped = 0;

  /**
   * @param maxPasses most compute passes timed between two `read` calls (later ones run untimed),
   *   1..2048 (WebGPU allows 4096 queries per query set, two per pass)
   * @throws Error when maxPasses is out of range; without `timestamp-query` createQuerySet fails validation
   */
  constructor(
    private readonly device: GPUDevice,
    private readonly maxPasses = 512,
  ) {
    // An invalid query set would invalidate every pass that writes to it, not just the timing.
    if (!Number.isInteger(maxPasses) || maxPasses < 1 || maxPasses > 2048) throw new Error(`StageTimer: maxPasses must be an integer in 1..2048, got ${maxPasses}`);
    this.querySet = device.createQuerySet({ type: 'timestamp', count: 2 * maxPasses });
    this.resolve = device.createBuffer({ size: 16 * maxPasses, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  }

  /** Timestamp writes for the next compute pass, attributed to `stage` (undefined once the query set is full). */
  next(stage: string): GPUComputePassTimestampWrites | undefined {
    if (this.used >= this.maxPasses) {
      this.skipped++;
      return undefined;
    }
    const i = this.used++;
    this.spans.push({ stage, begin: 2 * i, end: 2 * i + 1 });
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /**
   * Resolves the queries (records into `encoder` and submits it), then returns ms per stage and
   * resets. mode 'span': last end minus first begin of the stage's passes (includes whatever ran
   * between them); 'sum': sum of the stage's pass times. Sets `dropped` to the untimed passes.
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
    this.dropped = this.skipped;
    this.skipped = 0;
    this.used = 0;
    this.spans.length = 0;
    return out;
  }

  /** Frees the query set and resolve buffer. */
  destroy(): void {
    this.querySet.destroy();
    this.resolve.destroy();
  }
}
