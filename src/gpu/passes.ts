/**
 * The one GPU compute-pass layer: every compute pipeline, bind group and compute pass of the
 * project goes through here, so pipelines are compiled once per device, WGSL errors read the same
 * everywhere, and a StageTimer sees (and names) every pass.
 *
 *   const pipe = await cachedPipeline(device, code, 'main', 'shaders/adam.wgsl');
 *   recordPass(encoder, 'adam', pipe, bindEntries(device, pipe, { 0: uniform, 1: param }), workgroups(n, 256));
 */
import type { StageTimer } from './StageTimer';

/** Thrown when a WGSL module or a compute pipeline fails to compile; the message names the label and each error's line. */
export class ShaderCompileError extends Error {
  constructor(label: string, messages: string) {
    super(`WGSL compile error in ${label}:\n${messages}`);
    this.name = 'ShaderCompileError';
  }
}

const moduleCache = new WeakMap<GPUDevice, Map<string, Promise<GPUShaderModule>>>();
const pipelineCache = new WeakMap<GPUDevice, Map<string, Promise<GPUComputePipeline>>>();

/** Compiles (once per device and code) a WGSL module. @throws ShaderCompileError listing `line:col message` per error. */
function compileModule(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  let cache = moduleCache.get(device);
  if (!cache) moduleCache.set(device, (cache = new Map()));
  let hit = cache.get(code);
  if (!hit) {
    hit = (async () => {
      // Scoped so that a broken module is reported once, by the error below, not also as an uncaptured error.
      device.pushErrorScope('validation');
      const module = device.createShaderModule({ code, label });
      const scoped = device.popErrorScope();
      const info = await module.getCompilationInfo();
      const scopedError = await scoped;
      const errors = info.messages.filter((m) => m.type === 'error');
      if (errors.length) {
        throw new ShaderCompileError(label, errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
      }
      if (scopedError) throw new ShaderCompileError(label, `  ${scopedError.message}`);
      return module;
    })();
    const c = cache;
    hit.catch(() => c.delete(code));
    cache.set(code, hit);
  }
  return hit;
}

/**
 * Compute pipeline (auto layout) for `entryPoint` of the WGSL `code`, created once per device and
 * (code, entry point, constants): SwiftShader takes seconds to compile the compositing kernels, so
 * every rasterizer, sorter, loss and optimizer of a process shares them. A failure is not cached.
 * @param label names the source in errors and debug labels, e.g. "shaders/project.wgsl"
 * @param constants WGSL pipeline-overridable constants
 * @throws ShaderCompileError (the promise rejects) when the WGSL does not compile or the pipeline is invalid
 *   (e.g. a missing entry point)
 */
export function cachedPipeline(
  device: GPUDevice,
  code: string,
  entryPoint: string,
  label: string,
  constants?: Record<string, number>,
): Promise<GPUComputePipeline> {
  let cache = pipelineCache.get(device);
  if (!cache) pipelineCache.set(device, (cache = new Map()));
  const consts = constants ? JSON.stringify(Object.entries(constants).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : '';
  const key = `${entryPoint}\u0000${consts}\u0000${code}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = (async () => {
      const module = await compileModule(device, code, label);
      const where = `${label}:${entryPoint}`;
      // Validation errors of async creation reject (spec) or, on older Dawn, land in the error scope.
      device.pushErrorScope('validation');
      let pipeline: GPUComputePipeline | undefined;
      let failure: unknown;
      try {
        pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint, constants }, label: where });
      } catch (e) {
        failure = e;
      }
      const scoped = await device.popErrorScope();
      if (failure !== undefined) throw new ShaderCompileError(where, `  ${(failure as Error)?.message ?? String(failure)}`);
      if (scoped) throw new ShaderCompileError(where, `  ${scoped.message}`);
      return pipeline as GPUComputePipeline;
    })();
    const c = cache;
    hit.catch(() => c.delete(key));
    cache.set(key, hit);
  }
  return hit;
}

/** Cache node: one level per (binding, buffer) of a bind group, the group at the end of its path. */
interface BindNode {
  next: Map<number, WeakMap<GPUBuffer, BindNode>>;
  group?: GPUBindGroup;
}
const bindCache = new WeakMap<GPUComputePipeline, BindNode>();

/**
 * Bind group 0 of `pipeline` from {binding: buffer} (whole buffers; only the bindings the entry
 * point uses: auto layouts drop the others). Cached by the identity of the pipeline and of each
 * buffer, since a training step asks for the same groups every step (measured on Dawn + lavapipe:
 * about 50 us per createBindGroup against under 1 us per cache hit). Safe under reallocation: a
 * replaced buffer is a new object, hence a new group; the cache holds its keys weakly, so dropped
 * buffers free their groups. A destroyed buffer must not be passed again (as without a cache).
 * The label of the first call wins.
 */
export function bindEntries(device: GPUDevice, pipeline: GPUComputePipeline, entries: Record<number, GPUBuffer>, label?: string): GPUBindGroup {
  let node: BindNode | undefined = bindCache.get(pipeline);
  if (!node) bindCache.set(pipeline, (node = { next: new Map() }));
  // Integer keys enumerate in ascending order, so the path is the same for equal entries.
  for (const k in entries) {
    const binding = Number(k);
    const buffer = entries[binding];
    let byBuffer: WeakMap<GPUBuffer, BindNode> | undefined = node.next.get(binding);
    if (!byBuffer) node.next.set(binding, (byBuffer = new WeakMap()));
    let child: BindNode | undefined = byBuffer.get(buffer);
    if (!child) byBuffer.set(buffer, (child = { next: new Map() }));
    node = child;
  }
  if (!node.group) {
    node.group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: Object.entries(entries).map(([binding, buffer]) => ({ binding: Number(binding), resource: { buffer } })),
      label,
    });
  }
  return node.group;
}

/**
 * Workgroup counts [x, y] covering `n` items with `size` per workgroup, split into 2D when over
 * the 65535-per-dimension limit (kernels then flatten id.x + id.y * num_workgroups.x * size).
 */
export function workgroups(n: number, size: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** Dispatch size of a pass: workgroup counts [x, y?, z?], or an indirect-args buffer (3 u32 at `offset` bytes). */
export type DispatchSize = readonly [number, number?, number?] | { indirect: GPUBuffer; offset?: number };

let activeTimer: StageTimer | undefined;

/**
 * Sets (or clears, with undefined) the timer that gets timestamp writes for every pass recorded
 * from now on (benchmarks). The timer must belong to the device of the encoders recorded into.
 */
export function setActiveTimer(timer: StageTimer | undefined): void {
  activeTimer = timer;
}

/**
 * Records one compute pass holding one dispatch of `pipeline` with `bindGroup` at group 0.
 * @param stage what the pass is part of, e.g. 'projection', 'sort', 'loss.l1ssim', 'adam', 'mvs.zncc':
 *   the pass's debug label and the name the active StageTimer reports its time under
 * @param size workgroup counts (missing ones are 1) or an indirect-args buffer
 */
export function recordPass(
  encoder: GPUCommandEncoder,
  stage: string,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  size: DispatchSize,
): void {
  const timestampWrites = activeTimer?.next(stage);
  const pass = encoder.beginComputePass(timestampWrites ? { label: stage, timestampWrites } : { label: stage });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  if ('indirect' in size) pass.dispatchWorkgroupsIndirect(size.indirect, size.offset ?? 0);
  else pass.dispatchWorkgroups(size[0], size[1] ?? 1, size[2] ?? 1);
  pass.end();
}

/**
 * Uniform buffer created with its contents (mapped at creation, no queue write, so several per
 * command encoder keep their own values). Size rounded up to 16 bytes.
 */
export function uniformWith(device: GPUDevice, data: ArrayBufferView, label: string): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
  const buffer = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, mappedAtCreation: true, label });
  new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  buffer.unmap();
  return buffer;
}
