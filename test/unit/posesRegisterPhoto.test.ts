import { describe, expect, it } from 'vitest';
import { reconstructFromMatches } from '../../src/poses/reconstructFromMatches';
import { registerFromMatches, type ViewMatches } from '../../src/poses/registerPhoto';
import { cameraCenter, projectPoint } from '../../src/poses/projection';
import { rotationAngleBetween } from '../../src/poses/rotation';
import { alignPoses, poseInEstimateFrame } from '../../src/poses/sim3';
import type { PairMatches } from '../../src/poses/types';
import { guesses, makeMatches, makeScene } from './posesSynthetic';

describe('registerFromMatches: a held-out view placed against a reconstruction by PnP', () => {
  // forward rig of 6 views, 0.5 px noise, 25% outlier matches; view 2 is held out of the SfM
  const scene = makeScene('forward', 6, 21, 500, 300);
  const { views, matches } = makeMatches(scene, { noisePx: 0.5, outlierFraction: 0.25, seed: 5 });
  const held = 2;
  const kept = views.map((_, v) => v).filter((v) => v !== held);
  const slot = new Map(kept.map((v, s) => [v, s]));
  const keptMatches: PairMatches[] = matches.filter((m) => m.i !== held && m.j !== held).map((m) => ({ i: slot.get(m.i)!, j: slot.get(m.j)!, idx: m.idx }));
  const rec = reconstructFromMatches(kept.map((v) => views[v]), guesses(scene).filter((_, v) => v !== held), keptMatches);
  /** The held-out view's matches, oriented (held-out feature, reconstruction view feature). */
  const heldMatches: ViewMatches[] = matches
    .filter((m) => m.i === held || m.j === held)
    .map((m) => {
      const other = m.i === held ? m.j : m.i;
      const idx = new Uint32Array(m.idx.length);
      for (let q = 0; q < idx.length; q += 2) [idx[q], idx[q + 1]] = m.i === held ? [m.idx[q], m.idx[q + 1]] : [m.idx[q + 1], m.idx[q]];
      return { view: slot.get(other)!, idx };
    });

  it('keeps per keypoint the point it observes (pointOfKeypoint reprojects within 12 px)', () => {
    expect(rec.failures).toEqual([]);
    expect(rec.pointOfKeypoint.length).toBe(kept.length);
    let checked = 0;
    rec.pointOfKeypoint.forEach((pointOf, s) => {
      const c = rec.cameras[s]!;
      expect(pointOf.length).toBe(views[kept[s]].xy.length / 2);
      pointOf.forEach((p, f) => {
        if (p < 0) return;
        const q = projectPoint(c.R, c.t, c.fx, c.cx, c.cy, rec.points.xyz.subarray(3 * p, 3 * p + 3));
        expect(Math.hypot(q.u - views[kept[s]].xy[2 * f], q.v - views[kept[s]].xy[2 * f + 1])).toBeLessThanOrEqual(12);
        checked++;
      });
    });
    expect(checked).toBeGreaterThan(500);
  });

  it('recovers the held-out pose within 0.1 degrees and 0.5% of the scene distance (measured 0.016, 0.04%)', () => {
    const reg = registerFromMatches(rec, views[held], heldMatches);
    const S = alignPoses(rec.cameras.map((c) => ({ R: c!.R, t: c!.t })), kept.map((v) => scene.cameras[v]));
    const truth = poseInEstimateFrame(scene.cameras[held], S);
    const rotationDeg = (rotationAngleBetween(reg.camera.R, truth.R) * 180) / Math.PI;
    const centre = cameraCenter(reg.camera);
    const centreError = Math.hypot(...cameraCenter(truth).map((x, d) => x - centre[d]));
    console.log('held-out view: rotation', rotationDeg.toFixed(4), 'deg, centre', centreError.toFixed(4), 'inliers', reg.inliers, '/', reg.correspondences, 'rms', reg.rmsPx.toFixed(3), 'px');
    expect(rotationDeg).toBeLessThan(0.1);
    // the reconstruction's scale puts the median camera-to-scene distance at 1
    expect(centreError).toBeLessThan(0.005);
    expect(reg.inliers).toBeGreaterThan(0.6 * reg.correspondences);
    expect(reg.rmsPx).toBeLessThan(1.5);
    expect(reg.camera.fx).toBeCloseTo(rec.cameras[0]!.fx, 9);
    expect([reg.camera.width, reg.camera.height, reg.camera.name]).toEqual([scene.width, scene.height, views[held].name]);
  });

  it('too few matches with the reconstructed points: an Error naming the photo', () => {
    const few = [{ view: heldMatches[0].view, idx: heldMatches[0].idx.slice(0, 2 * 8) }];
    expect(() => registerFromMatches(rec, { ...views[held], name: 'IMG_7.png' }, few)).toThrow(/^IMG_7\.png shares too few matches with the reconstructed points \(\d, need 12\)$/);
    expect(() => registerFromMatches(rec, { ...views[held], name: 'IMG_7.png' }, [])).toThrow(/IMG_7\.png shares too few matches .*\(0, need 12\)/);
  });
});
