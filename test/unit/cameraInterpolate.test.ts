import { describe, expect, it } from 'vitest';
import { Camera, interpolateCameras } from '../../src/core/Camera';
import { quatToRotation } from '../../src/core/rotation';

/** Angle (radians) of the rotation R_a^T R_b between two row-major rotations. */
function angleBetween(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let tr = 0;
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) tr += a[3 * j + i] * b[3 * j + i];
  return Math.acos(Math.max(-1, Math.min(1, (tr - 1) / 2)));
}

describe('interpolateCameras', () => {
  const a = Camera.fromC2W([1, 0, 0, 0.5, 0, 1, 0, -0.2, 0, 0, 1, -3, 0, 0, 0, 1], 50, 52, 20, 15, 40, 30, 'a');
  const Rb = quatToRotation([Math.cos(0.4), 0.3 * Math.sin(0.4), Math.sin(0.4), 0]);
  const b = new Camera(Rb, [0.4, -0.1, 2.5], 60, 60, 21, 14, 40, 30, 'b');

  it('runs from a (s = 0) to b (s = 1): centre on the line, rotation angle proportional to s, a\'s intrinsics', () => {
    const total = angleBetween(a.R, b.R);
    expect(total).toBeGreaterThan(0.3);
    for (const s of [0, 0.25, 0.5, 1]) {
      const c = interpolateCameras(a, b, s);
      const expected = [0, 1, 2].map((i) => (1 - s) * a.center[i] + s * b.center[i]);
      c.center.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 10));
      expect(angleBetween(a.R, c.R)).toBeCloseTo(s * total, 8);
      expect(angleBetween(c.R, b.R)).toBeCloseTo((1 - s) * total, 8);
      expect([c.fx, c.fy, c.cx, c.cy, c.width, c.height]).toEqual([a.fx, a.fy, a.cx, a.cy, a.width, a.height]);
    }
    // orthonormal rotation
    const m = interpolateCameras(a, b, 0.37).R;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const dot = m[3 * i] * m[3 * j] + m[3 * i + 1] * m[3 * j + 1] + m[3 * i + 2] * m[3 * j + 2];
      expect(dot).toBeCloseTo(i === j ? 1 : 0, 10);
    }
  });

  it('rejects a non-finite s', () => {
    expect(() => interpolateCameras(a, b, NaN)).toThrow(/s must be finite/);
  });
});
