/** Compute-pipeline creation with readable WGSL compile errors, and dispatch helpers. */

/** Thrown when a WGSL module fails to compile; the message lists each error with its line. */
export class ShaderCompileError extends Error {
  constructor(label: string, messages: string) {
    super(`WGSL compile error in ${label}:\n${messages}`);
    this.name = 'ShaderCompileError';
  }
}

const moduleCache = new WeakMap<GPUDevice, Map<string, GPUShaderModule>>();

/**
 * Compiles (and caches per device) a WGSL module, throwing ShaderCompileError on errors.
 * `label` should name the shader file, e.g. "shaders/project.wgsl".
 */
export async function compileShader(device: GPUDevice, code: string, label: string): Promise<GPUShaderModule> {
  let cache = moduleCache.get(device);
  if (!cache) moduleCache.set(device, (cache = new Map()));
  const hit = cache.get(code);
  if (hit) return hit;
  const module = device.createShaderModule({ code, label });
  const info = await module.getCompilationInfo();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length) {
    throw new ShaderCompileError(label, errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n'));
  }
  cache.set(code, module);
  return module;
}

/**
 * Creates a compute pipeline with an auto layout for `entryPoint` of `code`.
 * `constants` are WGSL pipeline-overridable constants.
 */
export async function createComputePipeline(
  device: GPUDevice,
  code: string,
  entryPoint: string,
  label: string,
  constants?: Record<string, number>,
): Promise<GPUComputePipeline> {
  const module = await compileShader(device, code, label);
  device.pushErrorScope('validation');
  const pipeline = await device.createComputePipelineAsync({
    layout: 'auto',
    compute: { module, entryPoint, constants },
    label: `${label}:${entryPoint}`,
  });
  const err = await device.popErrorScope();
  if (err) throw new ShaderCompileError(`${label}:${entryPoint}`, err.message);
  return pipeline;
}

/** Bind group for group 0 of `pipeline` from buffers in binding order (0, 1, 2, ...). */
export function bindBuffers(device: GPUDevice, pipeline: GPUComputePipeline, buffers: GPUBuffer[], label?: string): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    label,
  });
}

/** Number of workgroups to cover `n` items with `size` per group, split into 2D when over the 65535 limit. */
export function workgroups(n: number, size: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / size));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}

/** Records one compute dispatch of `pipeline` with `bindGroup` into `encoder`. */
export function dispatch(
  encoder: GPUCommandEncoder,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  x: number,
  y = 1,
  z = 1,
): void {
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(x, y, z);
  pass.end();
}

/** Bind group for group 0 of `pipeline` from explicit (binding, buffer) pairs, for entry points that use a subset. */
export function bindBuffersAt(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  entries: [number, GPUBuffer][],
  label?: string,
): GPUBindGroup {
  return device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
    label,
  });
}
