/**
 * WGSL sources of the rasterizer stages, composed from the files in `shaders/` (the shared
 * declarations and, for scans and sorts, the subgroup or plain workgroup-scan variant). Pipelines,
 * bind groups and passes are built with src/gpu/passes.
 */
import common from '../../shaders/raster_common.wgsl?raw';
import project from '../../shaders/project.wgsl?raw';
import projectBackward from '../../shaders/project_backward.wgsl?raw';
import tiles from '../../shaders/tiles.wgsl?raw';
import rasterize from '../../shaders/rasterize.wgsl?raw';
import rasterizeBackward from '../../shaders/rasterize_backward.wgsl?raw';
import rasterizeWg256 from '../../shaders/rasterize_wg256.wgsl?raw';
import rasterizeBackwardWg256 from '../../shaders/rasterize_backward_wg256.wgsl?raw';
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

const enableSubgroups = (on: boolean) => (on ? 'enable subgroups;\n' : '');
const lanesConst = (lanes: number) => `const LANES: u32 = ${lanes}u;\n`;

/** Source of one rasterizer stage (shared declarations prepended). */
export const stageSource = {
  project: common + project,
  projectBackward: common + projectBackward,
  /** `lanes`: threads per tile workgroup (see tileLanes in GaussianRasterizer). */
  rasterize: (lanes: number) => lanesConst(lanes) + common + unrollPixels(rasterize, 256 / lanes),
  /** `lanes`: threads per tile workgroup; with subgroups it must be the device's fixed subgroup size. */
  rasterizeBackward: (useSubgroups: boolean, lanes: number) =>
    enableSubgroups(useSubgroups) + lanesConst(lanes) + common + unrollPixels(selectVariant(rasterizeBackward, useSubgroups), 256 / lanes),
  /** The 'wg256' compositing variant: one thread per pixel, splats staged in workgroup memory. */
  rasterizeWg256: common + rasterizeWg256,
  rasterizeBackwardWg256: (useSubgroups: boolean) => enableSubgroups(useSubgroups) + common + selectVariant(rasterizeBackwardWg256, useSubgroups),
  tiles: common + tiles,
  scan: (useSubgroups: boolean) => prefixSource(useSubgroups) + scan,
  sort: (useSubgroups: boolean) => prefixSource(useSubgroups) + sort,
  sortChunked,
};
