/**
 * WebGPU device acquisition for the browser (`navigator.gpu`) and Node (the `webgpu` npm package,
 * Dawn). On Linux machines without a GPU, Node uses Mesa's lavapipe when installed (Mesa >= 24), else
 * SwiftShader shipped by Debian's `chromium` package; SPARSESPLAT_ADAPTER=lavapipe|swiftshader|auto
 * (a CLI's `--adapter`) forces one. The choice itself is in adapterChoice.ts.
 */
import { ADAPTER_ENV, chooseAdapter, INSTALL_HINT } from './adapterChoice';
import { installDawnPollThrottle } from './dawnPolling';

export { AdapterChoiceError } from './adapterChoice';

/** A device plus what callers print and branch on. */
export interface GpuContext {
  device: GPUDevice;
  adapter: GPUAdapter;
  /** Human-readable adapter name, e.g. "SwiftShader Device (Subzero) (vulkan)". */
  adapterName: string;
  /**
   * How the adapter was chosen: in Node the Vulkan driver and why, e.g. "lavapipe (auto: no GPU
   * device node)"; "browser" in a browser.
   */
  adapterChoice: string;
  /** True when the device was created with the `subgroups` feature. */
  hasSubgroups: boolean;
  /** True when the device was created with `timestamp-query`. */
  hasTimestamps: boolean;
}

/** Thrown when no WebGPU adapter can be found; the message says what to install. */
export class GpuUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuUnavailableError';
  }
}

// Dawn's GPU objects must stay referenced for the life of the process (GC of one crashes Node):
// every instance created is kept here, including one whose driver gave no adapter.
const nodeGpus: GPU[] = [];
let nodeChosen: { gpu: GPU; choice: string } | undefined;
let cached: Promise<GpuContext> | undefined;

const ADAPTER_OPTIONS: GPURequestAdapterOptions = { powerPreference: 'high-performance' };

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

/**
 * Node: picks the Vulkan driver (chooseAdapter), creates Dawn's instance with it and requests the
 * adapter, falling back from lavapipe to SwiftShader (one warning line) when Dawn refuses lavapipe.
 * @throws AdapterChoiceError for a bad SPARSESPLAT_ADAPTER or a forced driver that is not installed.
 * @throws GpuUnavailableError when no adapter is found, with install instructions.
 */
async function nodeAdapter(): Promise<{ adapter: GPUAdapter; choice: string }> {
  if (nodeChosen) {
    const adapter = await nodeChosen.gpu.requestAdapter(ADAPTER_OPTIONS);
    if (!adapter) throw new GpuUnavailableError(`No WebGPU adapter found any more (${nodeChosen.choice}).`);
    return { adapter, choice: nodeChosen.choice };
  }
  const fs = await import('node:fs');
  const env = process.env;
  if (!env.XDG_RUNTIME_DIR) env.XDG_RUNTIME_DIR = '/tmp';
  const choice = chooseAdapter({ env, platform: process.platform, exists: (p) => fs.existsSync(p) });
  const webgpu = await import('webgpu');
  Object.assign(globalThis, webgpu.globals);
  // dawn.node busy-polls while a promise is pending; SPARSESPLAT_DAWN_POLL=busy keeps that (for A/B timing).
  if (env.SPARSESPLAT_DAWN_POLL !== 'busy') installDawnPollThrottle();
  (globalThis as any).__sparsesplatDawn = nodeGpus;
  // Dawn's Vulkan loader reads VK_ICD_FILENAMES when create() makes the instance.
  const open = (icd: string | undefined): GPU => {
    if (icd) {
      env.VK_ICD_FILENAMES = icd;
      delete env.VK_DRIVER_FILES; // the loader prefers it over VK_ICD_FILENAMES
    }
    const gpu = webgpu.create([]) as GPU;
    nodeGpus.push(gpu);
    return gpu;
  };
  let gpu = open(choice.icd);
  let adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
  let reason = choice.reason;
  if (!adapter && choice.fallback) {
    console.warn(
      `warning: Dawn found no adapter on ${choice.driver} (${choice.icd}; Dawn refuses Mesa older than 24): ` +
        `using ${choice.fallback.driver} instead; for lavapipe install Mesa from bookworm-backports (see README), ` +
        `or set ${ADAPTER_ENV}=${choice.fallback.driver} to skip this`,
    );
    gpu = open(choice.fallback.icd);
    adapter = await gpu.requestAdapter(ADAPTER_OPTIONS);
    reason = `${choice.fallback.driver} (fallback: Dawn gave no adapter on ${choice.driver})`;
  }
  if (!adapter) {
    const what =
      choice.driver === 'lavapipe'
        ? `Dawn gave no adapter on lavapipe (${choice.icd}): its Mesa is probably older than 24, which Dawn refuses. ` +
          `Install Mesa from bookworm-backports, or use --adapter swiftshader.`
        : choice.driver === 'swiftshader'
          ? `Dawn gave no adapter on SwiftShader (${choice.icd}): is the Vulkan loader libvulkan1 installed?`
          : `No WebGPU adapter found (${reason}). Set VK_ICD_FILENAMES to your GPU's Vulkan ICD, or install a CPU driver.`;
    throw new GpuUnavailableError(`${what} ${INSTALL_HINT}`);
  }
  nodeChosen = { gpu, choice: reason };
  return { adapter, choice: reason };
}

/** The `adapter: ...` line the CLIs print: adapter name and, in Node, how its driver was chosen. */
export function describeAdapter(gpu: GpuContext): string {
  return gpu.adapterChoice === 'browser' ? gpu.adapterName : `${gpu.adapterName} [${gpu.adapterChoice}]`;
}

function adapterLabel(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info?.vendor, info?.architecture, info?.device, info?.description].filter((s) => !!s);
  return parts.length ? parts.join(' ') : 'unknown adapter';
}

/**
 * Returns the process-wide WebGPU device, creating it on first call with the adapter's largest
 * storage-buffer limits and the `subgroups` / `timestamp-query` features when available.
 * In Node the Vulkan driver follows SPARSESPLAT_ADAPTER / VK_ICD_FILENAMES (see chooseAdapter).
 * @throws GpuUnavailableError when no adapter is found, with install instructions.
 * @throws AdapterChoiceError (Node) for an unknown SPARSESPLAT_ADAPTER or a forced driver that is
 *   not installed.
 */
export function acquireGpu(): Promise<GpuContext> {
  if (!cached) {
    cached = createGpu().catch((e) => {
      cached = undefined;
      throw e;
    });
  }
  return cached;
}

async function createGpu(): Promise<GpuContext> {
  let adapter: GPUAdapter;
  let choice = 'browser';
  if (isNode()) {
    ({ adapter, choice } = await nodeAdapter());
  } else {
    if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
      throw new GpuUnavailableError(
        'WebGPU is not available in this browser. Use a recent Chrome, Edge or Firefox Nightly, ' +
          'or start Chromium with --enable-unsafe-webgpu.',
      );
    }
    const a = await navigator.gpu.requestAdapter(ADAPTER_OPTIONS);
    if (!a) {
      throw new GpuUnavailableError(
        'No WebGPU adapter found: enable hardware acceleration, or start Chromium with ' +
          '--enable-unsafe-webgpu --enable-features=Vulkan.',
      );
    }
    adapter = a;
  }
  const wanted: GPUFeatureName[] = ['subgroups', 'timestamp-query'];
  const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxBindGroups: l.maxBindGroups,
    },
  });
  device.addEventListener('uncapturederror', (ev) => {
    console.error('WebGPU error:', (ev as GPUUncapturedErrorEvent).error.message);
  });
  return {
    device,
    adapter,
    adapterName: adapterLabel(adapter),
    adapterChoice: choice,
    hasSubgroups: device.features.has('subgroups'),
    hasTimestamps: device.features.has('timestamp-query'),
  };
}

/**
 * Forgets the cached device so the next acquireGpu() creates a new one. Call after `GPUDevice.lost`
 * (the studio does, to restart training on a fresh device); buffers of the old device are unusable.
 */
export function releaseGpu(): void {
  cached = undefined;
}
