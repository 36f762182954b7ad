import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GPU_DEVICE_NODES, LAVAPIPE_ICD } from '../../src/gpu/adapterChoice';
import { acquireGpu } from '../../src/gpu/device';
import { bindEntries, cachedPipeline, recordPass, ShaderCompileError } from '../../src/gpu/passes';
import { createStorageBuffer, readF32 } from '../../src/gpu/buffers';

describe('GPU device (Node, Dawn)', () => {
  it('finds an adapter and runs a compute shader', async () => {
    const gpu = await acquireGpu();
    expect(gpu.adapterName.length).toBeGreaterThan(0);
    console.log(`adapter: ${gpu.adapterName} [${gpu.adapterChoice}] subgroups=${gpu.hasSubgroups}`);
    const code = `@group(0) @binding(0) var<storage, read_write> a: array<f32>;
      @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
        if (id.x < arrayLength(&a)) { a[id.x] = a[id.x] * 2.0 + 1.0; } }`;
    const p = await cachedPipeline(gpu.device, code, 'main', 'test');
    const buf = createStorageBuffer(gpu.device, Float32Array.from([1, 2, 3, 4, 5]), 'a');
    const enc = gpu.device.createCommandEncoder();
    recordPass(enc, 'test', p, bindEntries(gpu.device, p, { 0: buf }), [1]);
    gpu.device.queue.submit([enc.finish()]);
    expect(Array.from(await readF32(gpu.device, buf, 5))).toEqual([3, 5, 7, 9, 11]);
  });

  it('runs on lavapipe when it is installed and there is no GPU (unless told otherwise)', async () => {
    const auto = !process.env.SPARSESPLAT_ADAPTER && !process.env.VK_ICD_FILENAMES && !process.env.VK_DRIVER_FILES;
    const cpuOnly = process.platform === 'linux' && !GPU_DEVICE_NODES.some((p) => existsSync(p));
    const gpu = await acquireGpu();
    if (auto && cpuOnly && existsSync(LAVAPIPE_ICD)) {
      // Dawn refusing an old Mesa falls back to SwiftShader, which this test then reports.
      expect(gpu.adapterChoice).toMatch(/^lavapipe/);
      expect(gpu.adapterName).toMatch(/llvmpipe/);
    } else {
      expect(gpu.adapterChoice.length).toBeGreaterThan(0);
    }
  });

  it('reports WGSL errors with the shader name', async () => {
    const gpu = await acquireGpu();
    await expect(cachedPipeline(gpu.device, 'fn main( {', 'main', 'shaders/broken.wgsl')).rejects.toThrow(
      ShaderCompileError,
    );
  });
});
