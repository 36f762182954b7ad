import { describe, expect, it } from 'vitest';
import { dilateHullGrid, insideHullGrid, type HullGrid } from '../../src/depth/visualHull';
import { zeroTable } from '../../src/train/GaussianTable';
import { carveOutsideHull } from '../../src/train/strategies/carveOutsideHull';
import { emptyReport } from '../../src/train/strategies/Strategy';

/** 5x5x5 grid of 0.1-unit voxels from the origin with only the centre voxel (2, 2, 2) occupied. */
function centreGrid(): HullGrid {
  const occ = new Uint8Array(125);
  occ[(2 * 5 + 2) * 5 + 2] = 1;
  return { occ, dims: [5, 5, 5], voxel: 0.1, origin: [0, 0, 0], count: 1 };
}

describe('hull carving (Recipe.hullCarve)', () => {
  it('dilateHullGrid grows the occupancy by r voxels along each axis (a cube), insideHullGrid reads it', () => {
    const g = centreGrid();
    expect(insideHullGrid(g, 0.25, 0.25, 0.25)).toBe(true);
    expect(insideHullGrid(g, 0.35, 0.25, 0.25)).toBe(false);
    const d = dilateHullGrid(g, 1);
    expect(d.count).toBe(27);
    expect(insideHullGrid(d, 0.35, 0.35, 0.15)).toBe(true);
    expect(insideHullGrid(d, 0.45, 0.25, 0.25)).toBe(false);
    expect(insideHullGrid(d, -0.01, 0.25, 0.25)).toBe(false); // outside the box
    expect(dilateHullGrid(g, 2).count).toBe(125);
    expect(g.count).toBe(1); // the input is left alone
  });

  it('drops the rows outside the hull from the parameters and both Adam moments together', () => {
    const grid = dilateHullGrid(centreGrid(), 1);
    const xs = [0.25, 0.9, 0.15, -1, 0.3]; // rows 1 and 3 lie outside
    const params = zeroTable(xs.length);
    const adamM = zeroTable(xs.length);
    const adamV = zeroTable(xs.length);
    xs.forEach((x, i) => {
      params.data.means.set([x, 0.25, 0.25], i * 3);
      params.data.logitOpacities[i] = i;
      adamM.data.logitOpacities[i] = 10 + i;
      adamV.data.logitOpacities[i] = 20 + i;
    });
    const report = { ...emptyReport(), pruned: 3 };
    const out = carveOutsideHull({ params, adamM, adamV, report }, grid);
    expect(out.params.count).toBe(3);
    expect(Array.from(out.params.data.logitOpacities)).toEqual([0, 2, 4]);
    expect(Array.from(out.adamM.data.logitOpacities)).toEqual([10, 12, 14]);
    expect(Array.from(out.adamV.data.logitOpacities)).toEqual([20, 22, 24]);
    expect(out.report.pruned).toBe(5);
    const inside = { params: out.params, adamM: out.adamM, adamV: out.adamV, report: out.report };
    expect(carveOutsideHull(inside, grid)).toBe(inside);
  });
});
