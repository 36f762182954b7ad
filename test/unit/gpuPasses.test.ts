import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../../src/gpu/device';
import { Usage, createStorageBuffer, readF32 } from '../../src/gpu/buffers';
import { ShaderCompileError, bindEntries, cachedPipeline, recordPass, setActiveTimer, workgroups } from '../../src/gpu/passes';
import { StageTimer } from '../../src/gpu/StageTimer';

// a[i] = a[i] * SCALE + b[i]; SCALE is an override constant.
const code = `override SCALE: f32 = 2.0;
@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&a)) { a[id.x] = a[id.x] * SCALE + b[id.x]; }
}`;

describe('GPU pass layer (src/gpu/passes)', () => {
  it('caches pipelines per (code, entry point, constants)', async () => {
    const { device } = await acquireGpu();
    const p1 = await cachedPipeline(device, code, 'main', 'test/scale.wgsl');
    const p2 = await cachedPipeline(device, code, 'main', 'test/scale.wgsl');
    expect(p2).toBe(p1);
    const p3 = await cachedPipeline(device, code, 'main', 'test/scale.wgsl', { SCALE: 3 });
    expect(p3).not.toBe(p1);
    expect(await cachedPipeline(device, code, 'main', 'test/scale.wgsl', { SCALE: 3 })).toBe(p3);
  });

  it('names the label and the line in WGSL compile errors, and does not cache failures', async () => {
    const { device } = await acquireGpu();
    const broken = '// ok\nfn main( {\n';
    const err = await cachedPipeline(device, broken, 'main', 'shaders/broken.wgsl').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShaderCompileError);
    expect((err as Error).message).toMatch(/shaders\/broken\.wgsl[\s\S]*line 2:/);
    // A valid module with a missing entry point is a pipeline error, reported the same way.
    await expect(cachedPipeline(device, code, 'nope', 'test/scale.wgsl')).rejects.toThrow(/test\/scale\.wgsl:nope/);
    await expect(cachedPipeline(device, broken, 'main', 'shaders/broken.wgsl')).rejects.toThrow(ShaderCompileError);
  });

  it('reuses bind groups for the same buffers and builds a fresh one after a buffer is replaced', async () => {
    const { device } = await acquireGpu();
    const p = await cachedPipeline(device, code, 'main', 'test/scale.wgsl');
    const a = createStorageBuffer(device, Float32Array.from([1, 2, 3]), 'a');
    const b = createStorageBuffer(device, Float32Array.from([10, 20, 30]), 'b');
    const g = bindEntries(device, p, { 0: a, 1: b });
    expect(bindEntries(device, p, { 0: a, 1: b })).toBe(g);
    // Reallocation (as GaussianBuffers.ensureCapacity does): the old buffer is destroyed, a new one bound.
    b.destroy();
    const b2 = createStorageBuffer(device, Float32Array.from([100, 200, 300]), 'b2');
    const g2 = bindEntries(device, p, { 0: a, 1: b2 });
    expect(g2).not.toBe(g);
    expect(bindEntries(device, p, { 0: b2, 1: a })).not.toBe(g2); // bindings are part of the key
    const enc = device.createCommandEncoder();
    recordPass(enc, 'test', p, g2, workgroups(3, 64));
    device.queue.submit([enc.finish()]);
    expect(Array.from(await readF32(device, a, 3))).toEqual([102, 204, 306]);
    for (const x of [a, b2]) x.destroy();
  });

  it('splits large workgroup counts into 2D', () => {
    expect(workgroups(1, 256)).toEqual([1, 1]);
    expect(workgroups(65535 * 64, 64)).toEqual([65535, 1]);
    const [x, y] = workgroups(65536 * 64, 64);
    expect(y).toBe(2);
    expect(x * y).toBeGreaterThanOrEqual(65536);
  });

  it('times every pass under the stage it was recorded with', async (ctx) => {
    const gpu = await acquireGpu();
    if (!gpu.hasTimestamps) ctx.skip();
    const d = gpu.device;
    const p = await cachedPipeline(d, code, 'main', 'test/scale.wgsl');
    const n = 1 << 16;
    const a = createStorageBuffer(d, n * 4, 'a');
    const b = createStorageBuffer(d, n * 4, 'b');
    const g = bindEntries(d, p, { 0: a, 1: b });
    const args = createStorageBuffer(d, Uint32Array.of(4, 1, 1), 'args', Usage.INDIRECT);
    const timer = new StageTimer(d, 3);
    try {
      for (const mode of ['sum', 'span'] as const) {
        d.pushErrorScope('validation');
        setActiveTimer(timer);
        const enc = d.createCommandEncoder();
        recordPass(enc, 'loss.x', p, g, workgroups(n, 64));
        recordPass(enc, 'adam', p, g, workgroups(n, 64));
        recordPass(enc, 'loss.x', p, g, { indirect: args });
        recordPass(enc, 'untimed', p, g, [1]); // past maxPasses = 3
        setActiveTimer(undefined);
        recordPass(enc, 'inactive', p, g, [1]);
        const t = await timer.read(enc, mode);
        expect(await d.popErrorScope()).toBeNull();
        expect(Object.keys(t).sort()).toEqual(['adam', 'loss.x']);
        for (const v of Object.values(t)) expect(v).toBeGreaterThanOrEqual(0);
        expect(timer.dropped).toBe(1);
        if (mode === 'span') expect(t['loss.x']).toBeGreaterThanOrEqual(t.adam); // the span covers the adam pass
      }
    } finally {
      setActiveTimer(undefined);
      timer.destroy();
      for (const x of [a, b, args]) x.destroy();
    }
  });
});
