import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { llffSplit } from '../../src/eval/protocol';
import { loadScenePath } from '../../src/io/nodeSource';
import { estimatePoses, sceneFromPoses } from '../../src/poses/estimatePoses';
import { alignPoses, poseErrors, poseInEstimateFrame } from '../../src/poses/sim3';
import { registerPhoto } from '../../src/poses/registerPhoto';
import { rotationAngleBetween } from '../../src/poses/rotation';
import { decodeImage } from '../../src/io/imageDecode';

const FERN = resolve(__dirname, '../../../shared/data/scenes/llff-fern');
const haveFern = existsSync(FERN);
if (!haveFern) console.warn(`skipping fern pose estimation: ${FERN} is absent`);

/** A flat grey PNG (no texture at all). */
function greyPng(w: number, h: number): Uint8Array {
  return encodePng({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(128), channels: 3, depth: 8 });
}

describe('estimatePoses bad inputs', () => {
  it('one photo: a clear error naming it', async () => {
    await expect(estimatePoses([{ name: 'IMG_0412.jpg', bytes: greyPng(64, 48) }])).rejects.toThrow(/at least 2 photos, got 1: IMG_0412\.jpg/);
  });
  it('a photo with no texture: an Error naming it, never a hang', async () => {
    const fern = haveFern ? new Uint8Array(readFileSync(resolve(FERN, 'images_8', 'IMG_4027.png'))) : greyPng(64, 48);
    await expect(estimatePoses([{ name: 'textured.png', bytes: fern }, { name: 'flat_grey.png', bytes: greyPng(320, 240) }]))
      .rejects.toThrow(/flat_grey\.png has no texture: 0 keypoints found/);
  });
  it.skipIf(!haveFern)('a textureless photo among textured ones is left out and named; the rest are posed', async () => {
    const read = (n: string) => new Uint8Array(readFileSync(resolve(FERN, 'images_8', n)));
    const est = await estimatePoses([{ name: 'IMG_4027.png', bytes: read('IMG_4027.png') }, { name: 'flat_grey.png', bytes: greyPng(504, 378) }, { name: 'IMG_4036.png', bytes: read('IMG_4036.png') }], { maxLongSide: 480 });
    // posed at the working size; the photos' own size is kept for models written for the files
    expect(est.images.map((im) => [im.width, im.height])).toEqual([[480, 360], [480, 360], [480, 360]]);
    expect(est.sourceSizes).toEqual([{ width: 504, height: 378 }, { width: 504, height: 378 }, { width: 504, height: 378 }]);
    expect(est.failures).toEqual([{ view: 1, name: 'flat_grey.png', reason: 'flat_grey.png has no texture: 0 keypoints found (need 30)' }]);
    expect(est.cameras[1]).toBeNull();
    expect(est.cameras[0]).not.toBeNull();
    expect(est.cameras[2]).not.toBeNull();
    expect(est.pointOfKeypoint[2].some((p) => p >= 0)).toBe(true);
    expect(est.stats.matches).toEqual([expect.objectContaining({ i: 0, j: 2 })]);
    const { scene, dropped } = sceneFromPoses(est);
    expect(scene.imageNames).toEqual(['IMG_4027.png', 'IMG_4036.png']);
    expect(dropped.map((d) => d.name)).toEqual(['flat_grey.png']);
  });
  it('an undecodable photo: the decoder names it', async () => {
    await expect(estimatePoses([{ name: 'a.png', bytes: greyPng(32, 32) }, { name: 'broken.jpg', bytes: Uint8Array.from([1, 2, 3, 4]) }])).rejects.toThrow(/broken\.jpg/);
  });
});

describe.skipIf(!haveFern)('estimatePoses on fern, 3 LLFF training views at 504x378', () => {
  it('recovers the ground-truth relative rotations within 1 degree (measured 0.45)', async () => {
    const gt = await loadScenePath(FERN, { downscale: 8 });
    const { train } = llffSplit(gt.cameras.length, 3);
    const photos = train.map((k) => ({ name: gt.imageNames[k], bytes: new Uint8Array(readFileSync(resolve(FERN, 'images_8', gt.imageNames[k]))) }));
    const stages = new Set<string>();
    const t0 = performance.now();
    const est = await estimatePoses(photos, { onProgress: (s) => stages.add(s.split(':')[0]) });
    const ms = performance.now() - t0;
    expect([...stages]).toEqual(expect.arrayContaining(['decode', 'features', 'matching']));
    expect(est.failures).toEqual([]);
    const cams = est.cameras.map((c) => c!);
    const err = poseErrors(cams.map((c) => ({ R: c.R, t: c.t, focal: c.fx })), train.map((k) => ({ R: gt.cameras[k].R, t: gt.cameras[k].t, focal: gt.cameras[k].fx })));
    console.log(JSON.stringify({
      views: est.names, ms: Math.round(ms), timingsMs: Object.fromEntries(Object.entries(est.stats.timingsMs).map(([k, v]) => [k, Math.round(v)])),
      keypoints: est.stats.keypoints, matches: est.stats.matches, rmsPx: est.report.rmsPx, points: est.report.points,
      rotationDeg: err.rotationDeg.map((v) => +v.toFixed(3)), relativeRotationDeg: err.relativeRotationDeg.map((v) => +v.toFixed(3)), translationDirectionDeg: err.translationDirectionDeg.map((v) => +v.toFixed(2)),
      focalErrorPercent: err.focalErrorPercent.map((v) => +v.toFixed(2)), intrinsics: est.intrinsics.map((g) => g.source),
    }));
    // Relative rotations need no alignment; the absolute error after the centre-based Sim(3) of 3 nearly
    // collinear forward-facing cameras also carries the alignment's own error (logged above).
    // Target (issue 12): 0.5 degrees. Measured with AKAZE threshold 1e-4 and the EXIF focal: 0.43 / 0.45 /
    // 0.10 degrees for pairs 0-1 / 0-2 / 1-2 (1.9 / 1.9 / 0.2 at threshold 3e-4); the bound leaves a margin
    // for run-to-run RANSAC differences.
    expect(Math.max(...err.relativeRotationDeg)).toBeLessThan(1);
    const { scene, dropped } = sceneFromPoses(est, 'fern');
    expect(dropped).toEqual([]);
    expect(scene.cameras.length).toBe(3);
    expect(scene.images[0].width).toBe(504);
    expect(scene.points!.xyz.length).toBeGreaterThan(30 * 3);

    // A held-out photo (LLFF test view 0) registered by PnP against the reconstruction's points
    // (bench:poses --psnr's test-view init) lands near its ground truth mapped into the estimate's frame.
    const S = alignPoses(cams.map((c) => ({ R: c.R, t: c.t })), train.map((k) => ({ R: gt.cameras[k].R, t: gt.cameras[k].t })));
    const name = gt.imageNames[0];
    const bytes = new Uint8Array(readFileSync(resolve(FERN, 'images_8', name)));
    const reg = await registerPhoto(est, { name, image: await decodeImage(name, bytes) });
    const truth = poseInEstimateFrame(gt.cameras[0], S);
    const rotErr = (rotationAngleBetween(reg.camera.R, truth.R) * 180) / Math.PI;
    console.log(JSON.stringify({ registered: name, correspondences: reg.correspondences, inliers: reg.inliers, rmsPx: reg.rmsPx, rotationErrorDeg: rotErr }));
    expect(reg.inliers).toBeGreaterThanOrEqual(12);
    expect(rotErr).toBeLessThan(1);
  });
});
