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

/** Source of one rasterizer stage (shared declarations prepended). */
export const stageSource = {
  project: common + project,
  projectBackward: common + projectBackward,
  rasterize: common + rasterize,
  rasterizeBackward: (useSubgroups: boolean) => (useSubgroups ? 'enable subgroups;\n' : '') + common + selectVariant(rasterizeBackward, useSubgroups),
  tiles: common + tiles,
  scan: (useSubgroups: boolean) => prefixSource(useSubgroups) + scan,
  sort: (useSubgroups: boolean) => prefixSource(useSubgroups) + sort,
};
