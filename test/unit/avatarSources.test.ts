import { describe, expect, it } from 'vitest';
import { SyntheticSource } from '../../src/avatar/SyntheticSource';
import { WebXrSource, webXrAvailable, type XRFrameLike } from '../../src/avatar/WebXrSource';

const T = (x: number, y: number, z: number) => ({ transform: { position: { x, y, z }, orientation: { x: 0, y: 0, z: 0, w: 1 } } });

describe('WebXrSource', () => {
  it('reads viewer and grip poses in local-floor space, keeping a lost controller at its last pose', () => {
    const src = new WebXrSource();
    const left = { handedness: 'left' as const, gripSpace: 'gripL', targetRaySpace: 'rayL' };
    const right = { handedness: 'right' as const, gripSpace: 'gripR', targetRaySpace: 'rayR' };
    const poses: Record<string, ReturnType<typeof T> | null> = { gripL: T(-0.2, 1, -0.3), gripR: T(0.2, 1.1, -0.3) };
    const frame: XRFrameLike = {
      getViewerPose: () => T(0, 1.6, 0),
      getPose: (space) => poses[space as string] ?? null,
      session: { inputSources: [left, right] },
    };
    const f0 = src.sample(1000, frame, 'floor')!;
    expect(f0.time).toBe(0);
    expect(f0.head.position.y).toBeCloseTo(1.6, 9);
    expect(f0.left.position.x).toBeCloseTo(-0.2, 9);
    expect(f0.right.position.y).toBeCloseTo(1.1, 9);
    poses.gripR = null; // tracking lost
    const f1 = src.sample(1014, frame, 'floor')!;
    expect(f1.time).toBeCloseTo(0.014, 9);
    expect(f1.right.position.y).toBeCloseTo(1.1, 9);
    expect(src.frame(123)).toBe(f1);
  });

  it('reports no headset in Node and fails start() with a clear message', async () => {
    expect(await webXrAvailable()).toBe(false);
    await expect(new WebXrSource().start()).rejects.toThrow(/WebXR: navigator.xr is not available/);
    expect(() => new WebXrSource().frame(0)).toThrow(/no pose received yet/);
  });
});

describe('SyntheticSource', () => {
  it('walks at about 0.8 m/s with the head at eye height, then stands', () => {
    const s = new SyntheticSource(60, 16);
    const a = s.frame(60).head.position;
    const b = s.frame(120).head.position;
    expect(a.distanceTo(b)).toBeGreaterThan(0.7);
    expect(a.distanceTo(b)).toBeLessThan(0.85);
    expect(s.frame(600).head.position.clone().setY(0).distanceTo(s.frame(700).head.position.clone().setY(0))).toBeLessThan(1e-9);
    expect(() => s.frame(s.frameCount)).toThrow(RangeError);
  });
});
