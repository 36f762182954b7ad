/**
 * The scene's sparse points (estimated by structure from motion, or a COLMAP model's points3D) drawn
 * in the viewer's overlay as small coloured dots, while there is no model to show in their place.
 */
import { useEffect, useMemo } from 'react';
import * as THREE from 'three';
import type { PointCloud } from '../core/Scene';

/** At most this many points are drawn (an even subsample of bigger clouds). */
const MAX_POINTS = 50_000;

/** sRGB-encoded [0,1] -> linear (the IEC 61966-2-1 curve). */
function srgbToLinear(c: number): number {
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Draws `points` (world xyz, sRGB rgb in [0,1]) as fixed-size screen dots. */
export function SparsePoints({ points }: { points: PointCloud }) {
  const geometry = useMemo(() => {
    const n = Math.floor(points.xyz.length / 3);
    const step = Math.max(1, Math.ceil(n / MAX_POINTS));
    const m = Math.ceil(n / step);
    const xyz = new Float32Array(m * 3);
    const rgb = new Float32Array(m * 3);
    for (let i = 0, k = 0; i < n; i += step, k++) {
      for (let c = 0; c < 3; c++) {
        xyz[k * 3 + c] = points.xyz[i * 3 + c];
        rgb[k * 3 + c] = points.rgb ? srgbToLinear(points.rgb[i * 3 + c]) : 1; // the overlay renders linear -> sRGB
      }
    }
    const g = new THREE.BufferGeometry();
    g.setAttribute('position', new THREE.Float32BufferAttribute(xyz, 3));
    g.setAttribute('color', new THREE.Float32BufferAttribute(rgb, 3));
    return g;
  }, [points]);
  useEffect(() => () => geometry.dispose(), [geometry]);
  return (
    <points geometry={geometry} raycast={() => null}>
      <pointsMaterial size={3} sizeAttenuation={false} vertexColors toneMapped={false} />
    </points>
  );
}
