import { describe, expect, it } from 'vitest';
import { Camera } from '../../src/core/Camera';
import type { Scene } from '../../src/core/Scene';
import { frameScene, principalRayFocus, type Framing } from '../../src/app/framing';

type V = [number, number, number];
const sub = (a: V, b: V): V => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const cross = (a: V, b: V): V => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: V, b: V) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const unit = (a: V): V => { const n = Math.hypot(...a); return [a[0] / n, a[1] / n, a[2] / n]; };

/** OpenCV camera at `c` looking along `forward`, world "down" = `down`, 640x480 with a 60 degree vertical FOV. */
function cameraLooking(c: V, forward: V, down: V = [0, 1, 0]): Camera {
  const z = unit(forward);
  const x = unit(cross(down, z));
  const y = cross(z, x);
  const R = [...x, ...y, ...z];
  const t = [0, 1, 2].map((r) => -(R[r * 3] * c[0] + R[r * 3 + 1] * c[1] + R[r * 3 + 2] * c[2]));
  const fy = 240 / Math.tan(Math.PI / 6);
  return new Camera(R, t, fy, fy, 320, 240, 640, 480);
}

function sceneOf(cameras: Camera[], extra: Partial<Scene> = {}): Scene {
  return { name: 't', cameras, images: [], imageNames: cameras.map((_, i) => `${i}.png`), background: [0, 0, 0], protocol: 'even', ...extra };
}

/** Whether p is in front of the framing's view and inside its (square, aspect 1) field of view. */
function inView(f: Framing, p: V): boolean {
  const fw = unit(sub(f.target, f.position));
  const right = unit(cross(fw, f.up));
  const up = cross(right, fw);
  const v = sub(p, f.position);
  const z = dot(v, fw);
  const tan = Math.tan((f.fovY / 2) * Math.PI / 180);
  return z > 0 && Math.abs(dot(v, right)) / z <= tan && Math.abs(dot(v, up)) / z <= tan;
}

describe('framing a camera rig (issue 13 point 3)', () => {
  it('a 360-degree ring: orbits the point the cameras look at, every camera centre in view', () => {
    const focus: V = [1, 2, 3];
    const cams = Array.from({ length: 60 }, (_, i) => {
      const a = (i / 60) * 2 * Math.PI;
      const c: V = [focus[0] + 4 * Math.cos(a), focus[1] - 1, focus[2] + 4 * Math.sin(a)];
      return cameraLooking(c, sub(focus, c));
    });
    const f = frameScene(sceneOf(cams));
    for (let k = 0; k < 3; k++) expect(f.target[k]).toBeCloseTo(focus[k], 6);
    for (const c of cams) expect(inView(f, c.center)).toBe(true);
    expect(Math.abs(dot(unit(sub(f.position, f.target)), f.up))).toBeLessThan(0.9); // lookAt has a horizon
  });

  it('a dome of cameras above the object (Blender-like): not looking straight down, all in view', () => {
    const cams: Camera[] = [];
    for (let i = 0; i < 40; i++) {
      const az = i * 2.4;
      const el = 0.2 + 1.2 * ((i * 0.618) % 1);
      const c: V = [4 * Math.cos(el) * Math.cos(az), -4 * Math.sin(el), 4 * Math.cos(el) * Math.sin(az)]; // up = -y
      cams.push(cameraLooking(c, sub([0, 0, 0], c)));
    }
    const f = frameScene(sceneOf(cams));
    expect(Math.hypot(...f.target)).toBeLessThan(1e-6);
    expect(Math.abs(dot(unit(sub(f.position, f.target)), f.up))).toBeLessThanOrEqual(0.86);
    for (const c of cams) expect(inView(f, c.center)).toBe(true);
  });

  it('a forward-facing grid (LLFF-like, parallel rays): target at the typical depth ahead, rig in view', () => {
    const cams: Camera[] = [];
    for (let i = 0; i < 9; i++) cams.push(cameraLooking([0.1 * (i % 3), 0.1 * Math.floor(i / 3), 0], [0, 0, 1]));
    expect(principalRayFocus(cams.map((c) => c.center), cams.map((c) => c.forward))).toBeNull();
    const f = frameScene(sceneOf(cams, { depthBounds: cams.map(() => [1, 4] as [number, number]) }));
    expect(f.target[2]).toBeCloseTo(2, 6); // sqrt(near * far)
    expect(f.target[0]).toBeCloseTo(0.1, 6);
    expect(f.position[2]).toBeLessThan(0); // behind the rig, looking forward
    for (const c of cams) expect(inView(f, c.center)).toBe(true);
  });

  it('with sparse points, orbits their median (robust to outliers)', () => {
    const cams = [cameraLooking([0, 0, 0], [0, 0, 1]), cameraLooking([1, 0, 0], [0, 0, 1])];
    const xyz = new Float32Array(3 * 101);
    for (let i = 0; i < 100; i++) xyz.set([0.5 + (i % 10) * 0.01, (i % 7) * 0.01, 5 + (i % 5) * 0.01], i * 3);
    xyz.set([1e6, 1e6, 1e6], 300); // one wild point
    const f = frameScene(sceneOf(cams, { points: { xyz, rgb: new Float32Array(xyz.length) } }));
    expect(f.target[2]).toBeGreaterThan(4.99);
    expect(f.target[2]).toBeLessThan(5.05);
    for (const c of cams) expect(inView(f, c.center)).toBe(true);
  });
});
