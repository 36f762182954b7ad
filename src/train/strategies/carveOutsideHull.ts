import { insideHullGrid, type HullGrid } from '../../depth/visualHull';
import { gatherRows } from '../GaussianTable';
import type { RefinedTables } from './Strategy';

/**
 * Hull carving (Recipe.hullCarve): drops the rows whose mean (world units) lies outside `grid`
 * (the visual hull, already grown by the margin the caller wants), from the parameters and both Adam
 * moments together; counts them in report.pruned. The object is inside its silhouettes' hull
 * (Laurentini 1994), so a Gaussian outside it only explains some training photo as a floater.
 * Keeps at least one row (an empty model cannot train). Returns `tables` itself when nothing is outside.
 */
export function carveOutsideHull(tables: RefinedTables, grid: HullGrid): RefinedTables {
  const { params } = tables;
  const m = params.data.means;
  const keep: number[] = [];
  for (let i = 0; i < params.count; i++) if (insideHullGrid(grid, m[i * 3], m[i * 3 + 1], m[i * 3 + 2])) keep.push(i);
  if (keep.length === params.count) return tables;
  if (keep.length === 0) keep.push(0);
  const dropped = params.count - keep.length;
  return {
    params: gatherRows(params, keep),
    adamM: gatherRows(tables.adamM, keep),
    adamV: gatherRows(tables.adamV, keep),
    report: { ...tables.report, pruned: tables.report.pruned + dropped },
  };
}
