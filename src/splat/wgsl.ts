/**
 * WGSL sources of the rasterizer stages, composed from the files in `shaders/` (the shared
 * declarations and, for scans and sorts, the subgroup or plain workgroup-scan variant), plus a
 * bind-group helper for pipelines whose entry points use different subsets of bindings.
 */
import { createComputePipeline } from '../gpu/pipelines';
import common from '../../shaders/raster_common.wgsl?raw';
import project from '../../shaders/project.wgsl?raw';
import projectBackward from '../../shaders/project_backward.wgsl?raw';
import tiles from '../../shaders/tiles.wgsl?raw';
import rasterize from '../../shaders/rasterize.wgsl?raw';
import rasterizeBackward from '../../shaders/rasterize_backward.wgsl?raw';
import scan from '../../shaders/scan.wgsl?raw';
import sort from '../../shaders/sort.wgsl?raw';
import sortChunked from '../../shaders/sort_chunked.wgsl?raw';
import prefixPlain from '../../shaders/prefix_plain.wgsl?raw';
import prefixSubgroup from '../../shaders/prefix_subgroup.wgsl?raw';

/** Workgroup-scan building block: the subgroup variant needs the `subgroups` device feature. */
export function prefixSource(useSubgroups: boolean): string {
  return useSubgroups ? prefixSubgroup : prefixPlain;
}

/**
 * Keeps the `// #if SUBGROUPS` part (useSubgroups) or the `// #else` part of each
 * `// #if SUBGROUPS` / `// #else` / `// #endif` block (WGSL has no preprocessor).
 */
export function selectVariant(code: string, useSubgroups: boolean): string {
  return code.replace(/\/\/ #if SUBGROUPS\n([\s\S]*?)[ \t]*\/\/ #else\n([\s\S]*?)[ \t]*\/\/ #endif\n/g, (_m, a: string, b: string) => (useSubgroups ? a : b));
}

/** Source of one rasterizer stage (shared declarations prepended). */
export const stageSource = {
  project: common + project,
  projectBackward: common + projectBackward,
  rasterize: common + rasterize,
  rasterizeBackward: (useSubgroups: boolean) => (useSubgroups ? 'enable subgroups;\n' : '') + common + selectVariant(rasterizeBackward, useSubgroups),
  tiles: common + tiles,
  scan: (useSubgroups: boolean) => prefixSource(useSubgroups) + scan,
  sort: (useSubgroups: boolean) => prefixSource(useSubgroups) + sort,
  sortChunked,
};

/** Bind group 0 of `pipeline` from {binding: buffer}; only the bindings the entry point uses. */
export function bindEntries(device: GPUDevice, pipeline: GPUComputePipeline, entries: Record<number, GPUBuffer>, label?: string): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: Object.entries(entries).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
    label,
  });
}

/** What encodeDispatch asks for timestamp writes (StageTimer). */
export interface PassTimer {
  next(): GPUComputePassTimestampWrites | undefined;
  setStage(stage: string): void;
}

let activeTimer: PassTimer | undefined;

/** Sets (or clears) the timer whose timestamp writes every pass recorded by encodeDispatch gets (benchmarks). */
export function setActiveTimer(timer: PassTimer | undefined): void {
  activeTimer = timer;
}

/** Names the stage of the passes recorded next (no-op without an active timer). */
export function markStage(stage: string): void {
  activeTimer?.setStage(stage);
}

/** Records one compute pass with a direct or indirect dispatch. */
export function encodeDispatch(
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  size: [number, number?, number?] | { indirect: GPUBuffer; offset?: number },
  timestampWrites: GPUComputePassTimestampWrites | undefined = activeTimer?.next(),
): void {
  const pass = encoder.beginComputePass(timestampWrites ? { timestampWrites } : undefined);
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  if (Array.isArray(size)) pass.dispatchWorkgroups(size[0], size[1] ?? 1, size[2] ?? 1);
  else pass.dispatchWorkgroupsIndirect(size.indirect, size.offset ?? 0);
  pass.end();
}

/** Uniform buffer created with its contents (no queue write, so several per command encoder are safe). */
export function uniformWith(device: GPUDevice, data: ArrayBufferView, label: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}

const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/**
 * createComputePipeline, cached per device by (code, entry point): SwiftShader takes seconds to
 * compile the compositing kernels, so every rasterizer, sorter and scan of a process shares them.
 * @throws ShaderCompileError (from createComputePipeline) when the WGSL does not compile
 */
export function cachedPipeline(device: GPUDevice, code: string, entryPoint: string, label: string): Promise<GPUComputePipeline> {
  let m = pipelineCache.get(device);
  if (!m) pipelineCache.set(device, (m = new Map()));
  const key = `${entryPoint}\u0000${code}`;
  let p = m.get(key);
  if (!p) {
    p = createComputePipeline(device, code, entryPoint, label);
    p.catch(() => m.delete(key));
    m.set(key, p);
  }
  return p;
}
