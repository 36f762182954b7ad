/**
 * Which Vulkan driver Dawn (the `webgpu` npm package) should load in Node. A pure function of the
 * environment, the platform and which files exist, so it is testable without either driver.
 *
 * Without a GPU device node on Linux two CPU drivers run WebGPU: Mesa's lavapipe (llvmpipe; Mesa >= 24,
 * 4-9x faster) and SwiftShader (shipped by Debian's `chromium` package). `auto` prefers lavapipe.
 * `SPARSESPLAT_ADAPTER=lavapipe|swiftshader|auto` (or a CLI's `--adapter`) forces the choice; a
 * VK_ICD_FILENAMES / VK_DRIVER_FILES set by the user is left alone unless a driver is forced.
 */

/** Values accepted by SPARSESPLAT_ADAPTER and `--adapter`. */
export const ADAPTER_REQUESTS = ['auto', 'lavapipe', 'swiftshader'] as const;
export type AdapterRequest = (typeof ADAPTER_REQUESTS)[number];

/** The environment variable read by acquireGpu() in Node. */
export const ADAPTER_ENV = 'SPARSESPLAT_ADAPTER';

/** Mesa lavapipe's Vulkan ICD (Debian `mesa-vulkan-drivers`). */
export const LAVAPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.json';
/** SwiftShader's Vulkan ICD (Debian `chromium`). */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
/** Device nodes whose presence means a real GPU driver may be usable: the system's ICDs are kept. */
export const GPU_DEVICE_NODES = ['/dev/dri', '/dev/nvidia0', '/dev/nvidiactl'] as const;

/** How to install each CPU driver on Debian 12 (bookworm); both need the Vulkan loader `libvulkan1`. */
export const INSTALL_HINT =
  'lavapipe (Mesa >= 24, the faster): add bookworm-backports as a deb822 entry under /etc/apt/sources.list.d ' +
  "(same URIs: and Signed-By: as the machine's Debian entry, Suites: bookworm-backports), `sudo apt-get update`, " +
  `then \`sudo apt-get install -t bookworm-backports mesa-vulkan-drivers libvulkan1\` (ICD ${LAVAPIPE_ICD}); ` +
  `SwiftShader: \`sudo apt-get install chromium libvulkan1\` (ICD ${SWIFTSHADER_ICD}). .ci/run installs both.`;

export type VulkanDriver = 'lavapipe' | 'swiftshader';

/** What nodeNavigatorGpu() should do before creating Dawn's instance. */
export interface AdapterChoice {
  /** The CPU driver chosen, or 'system' when the Vulkan loader's own search (or the user's ICD variables) is kept. */
  driver: VulkanDriver | 'system';
  /** Set VK_ICD_FILENAMES to this (and drop VK_DRIVER_FILES, which the loader prefers); undefined: leave them. */
  icd?: string;
  /** Try this when Dawn returns no adapter for `icd` (lavapipe with Mesa < 24). */
  fallback?: { driver: VulkanDriver; icd: string };
  /** One phrase on why, for the `adapter:` line, e.g. "lavapipe (auto: no GPU device node)". */
  reason: string;
}

/** Inputs of chooseAdapter(): process.env, process.platform and a file-existence test. */
export interface AdapterChoiceInput {
  env: Record<string, string | undefined>;
  platform: string;
  exists: (path: string) => boolean;
}

/** Thrown for an unknown SPARSESPLAT_ADAPTER / --adapter value or a forced driver that is not installed. */
export class AdapterChoiceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterChoiceError';
  }
}

/**
 * Parses a requested adapter (SPARSESPLAT_ADAPTER or `--adapter`): case-insensitive, blank = auto.
 * @param source how to name the setting in the error, e.g. "--adapter" or "SPARSESPLAT_ADAPTER".
 * @throws AdapterChoiceError for any other value, naming the accepted ones.
 */
export function parseAdapterRequest(value: string | undefined, source: string = ADAPTER_ENV): AdapterRequest {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if ((ADAPTER_REQUESTS as readonly string[]).includes(v)) return v as AdapterRequest;
  throw new AdapterChoiceError(
    `${source}: unknown adapter "${value}"; expected lavapipe (Mesa's CPU Vulkan driver), swiftshader ` +
      `(SwiftShader, from Debian's chromium) or auto (a GPU if present, else lavapipe, else SwiftShader)`,
  );
}

/**
 * Chooses the Vulkan driver for Dawn in Node.
 * - forced lavapipe / swiftshader (any platform with the ICD file; overrides VK_ICD_FILENAMES);
 * - auto, with VK_ICD_FILENAMES or VK_DRIVER_FILES set, off Linux, or with a GPU device node: 'system';
 * - auto on Linux without a GPU device node: lavapipe (SwiftShader as fallback) if its ICD exists,
 *   else SwiftShader, else 'system' (acquireGpu() then reports that no adapter was found).
 * @throws AdapterChoiceError for an unknown request, or a forced driver whose ICD is missing (the
 *   message says what to install for both drivers).
 */
export function chooseAdapter({ env, platform, exists }: AdapterChoiceInput): AdapterChoice {
  const request = parseAdapterRequest(env[ADAPTER_ENV]);
  const icds: Record<VulkanDriver, string> = { lavapipe: LAVAPIPE_ICD, swiftshader: SWIFTSHADER_ICD };
  const userIcd = env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES;
  if (request !== 'auto') {
    const icd = icds[request];
    if (!exists(icd)) {
      const name = request === 'lavapipe' ? 'lavapipe' : 'SwiftShader';
      throw new AdapterChoiceError(
        `${ADAPTER_ENV}=${request} (or --adapter ${request}): ${name} is not installed (${icd} is missing` +
          `${platform === 'linux' ? '' : `; these drivers are set up for Debian Linux, this is ${platform}`}). ` +
          `Install it, or choose the other driver or auto. ${INSTALL_HINT}`,
      );
    }
    const overrides = userIcd ? `, overriding VK_ICD_FILENAMES/VK_DRIVER_FILES=${userIcd}` : '';
    return { driver: request, icd, reason: `${request} (forced by ${ADAPTER_ENV}/--adapter${overrides})` };
  }
  if (userIcd) return { driver: 'system', reason: `Vulkan ICD from the environment (${userIcd})` };
  if (platform !== 'linux') return { driver: 'system', reason: `system drivers (${platform})` };
  if (GPU_DEVICE_NODES.some((p) => exists(p))) return { driver: 'system', reason: 'system Vulkan drivers (GPU device node present)' };
  const hasSwiftShader = exists(SWIFTSHADER_ICD);
  if (exists(LAVAPIPE_ICD)) {
    return {
      driver: 'lavapipe',
      icd: LAVAPIPE_ICD,
      ...(hasSwiftShader ? { fallback: { driver: 'swiftshader' as const, icd: SWIFTSHADER_ICD } } : {}),
      reason: 'lavapipe (auto: no GPU device node)',
    };
  }
  if (hasSwiftShader) return { driver: 'swiftshader', icd: SWIFTSHADER_ICD, reason: `swiftshader (auto: no GPU device node, no ${LAVAPIPE_ICD})` };
  return { driver: 'system', reason: 'system Vulkan drivers (no GPU device node, neither lavapipe nor SwiftShader installed)' };
}
