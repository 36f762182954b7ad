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

/**
 * Repeats each `// #for j` ... `// #endfor j` block `count` times, the i-th copy with identifiers
 * ending in `_j` renamed to end in `_i` and `j_INDEX` replaced by `iu`: WGSL has no unrolling
 * directive, and CPU drivers keep per-pixel state in registers only when it is in scalars.
 */
export function unrollPixels(code: string, count: number): string {
  return code.replace(/[ \t]*\/\/ #for j\n([\s\S]*?)[ \t]*\/\/ #endfor j\n/g, (_m, body: string) =>
    Array.from({ length: count }, (_, i) => body.replace(/\b(\w+)_j\b/g, `$1_${i}`).replace(/\bj_INDEX\b/g, `${i}u`)).join(''),
  );
}

/** Source of one rasterizer stage (shared declarations prepended). */
export const stageSource = {
  project: common + project,
  projectBackward: common + projectBackward,
  /** `lanes`: threads per tile workgroup (see tileLanes in GaussianRasterizer). */
  rasterize: (lanes: number) => `const LANES: u32 = ${lanes}u;\n` + common + unrollPixels(rasterize, 256 / lanes),
  /** `lanes`: threads per tile workgroup; with subgroups it must be the device's fixed subgroup size. */
  rasterizeBackward: (useSubgroups: boolean, lanes: number) =>
    (useSubgroups ? 'enable subgroups;\n' : '') + `const LANES: u32 = ${lanes}u;\n` + common + unrollPixels(selectVariant(rasterizeBackward, useSubgroups), 256 / lanes),
  tiles: common + tiles,
  scan: (useSubgroups: boolean) => prefixSource(useSubgroups) + scan,
  sort: (useSubgroups: boolean) => prefixSource(useSubgroups) + sort,
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
