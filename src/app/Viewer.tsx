/**
 * The 3D view: our WebGPU canvas (splats, via ViewerEngine) under a transparent
 * @react-three/fiber canvas that owns the orbit camera (drei OrbitControls), draws the input camera
 * frustums with their photos (click one to fly there) and, without WebGPU, the splats through
 * Spark (WebGL2). Canvas sizes follow CSS size x devicePixelRatio.
 */
import { OrbitControls } from '@react-three/drei';
import { Canvas, useFrame, useThree } from '@react-three/fiber';
import { SparkRenderer, SplatMesh } from '@sparkjsdev/spark';
import { SPARK_MATCH_OPTIONS, sparkObjectMatrix } from './sparkConventions';
import { useEffect, useMemo, useRef, useState } from 'react';
import { SparsePoints } from './SparsePoints';
import * as THREE from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import type { Scene } from '../core/Scene';
import { bus } from './controller';
import { loadParts } from './parts';
import { imageToCanvas } from './sceneUtils';
import { frameCloud, frameScene, type Framing } from './framing';
import { useStudio } from './store';
import { recordTurntable } from './turntable';
import { ViewerEngine, cameraFromGL } from './ViewerEngine';

/** Shared between the r3f scene and the WebGPU loop. */
const view = {
  camera: null as THREE.PerspectiveCamera | null,
  controls: null as OrbitControlsImpl | null,
  framing: null as Framing | null,
  /** Depth of the frustums' photo planes (world units). */
  frustumSize: 0,
  invalidate: () => {},
};

export function Viewer() {
  const gpuCanvas = useRef<HTMLCanvasElement>(null);
  const gpuStatus = useStudio((s) => s.gpuStatus);
  const scene = useStudio((s) => s.scene);
  const splatFile = useStudio((s) => s.splatFile);
  const cloud = useStudio((s) => s.cloud);
  const trainState = useStudio((s) => s.train);
  const [up, setUp] = useState<[number, number, number]>([0, 1, 0]);
  const useSpark = !!splatFile && (gpuStatus !== 'ok' || !cloud);
  const [epoch, setEpoch] = useState(0);

  // WebGPU engine + render loop (renders only when something changed).
  useEffect(() => {
    const canvas = gpuCanvas.current;
    if (!canvas || gpuStatus !== 'ok' || !bus.gpu) return;
    const engine = new ViewerEngine(bus.gpu, canvas);
    bus.engine = engine;
    let stopped = false;
    void loadParts().then(async (parts) => {
      if (!parts.GaussianRasterizer || stopped) return;
      try {
        engine.rasterizer = await parts.GaussianRasterizer.create(bus.gpu!);
        engine.kind = 'raster';
        dirty = true;
      } catch (e) {
        engine.rasterError = e instanceof Error ? e.message : String(e);
      }
    });
    const s = useStudio.getState();
    if (bus.session) engine.showBuffers(bus.session.gaussians, bus.lastCloud?.means ?? null);
    else if (s.cloud) engine.showCloud(s.cloud);
    let dirty = true;
    let lastKey = '';
    let renderScale = 1;
    let lastDraw = 0;
    bus.requestRender = () => {
      dirty = true;
    };
    engine.onIncomplete = bus.requestRender;
    let raf = 0;
    const tick = () => {
      raf = requestAnimationFrame(tick);
      const cam = view.camera;
      if (!cam) return;
      const dpr = window.devicePixelRatio || 1;
      const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
      const h = Math.max(1, Math.round(canvas.clientHeight * dpr));
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
        dirty = true;
      }
      cam.updateMatrixWorld();
      const st = useStudio.getState();
      const key = `${cam.matrixWorld.elements.join(',')}|${cam.fov}|${w}x${h}|${st.mode}|${st.modelVersion}|${engine.kind}`;
      if (!dirty && key === lastKey) return;
      if (engine.busy) return;
      // While training, model updates alone redraw at most once a second (they share the GPU);
      // camera moves redraw at once.
      const cameraMoved = key.split('|')[0] !== lastKey.split('|')[0];
      const now = performance.now();
      if (!cameraMoved && (st.train === 'running' || st.train === 'starting') && now - lastDraw < 1000) return;
      lastDraw = now;
      const dist = view.framing?.distance ?? 1;
      const ok = engine.render({
        camera: cameraFromGL(cam.matrixWorld.elements, cam.fov, w, h),
        mode: st.mode,
        background: st.scene?.background ?? [0, 0, 0],
        near: dist * 0.2,
        far: dist * 4,
        renderScale,
      });
      if (ok) {
        lastKey = key;
        dirty = false;
        // Adapt the raster path's resolution to keep orbiting interactive on slow GPUs.
        // Steps, not a continuum: the rasterizer reallocates its images when the size changes.
        const steps = [0.25, 0.35, 0.5, 0.75, 1];
        const k = steps.indexOf(renderScale);
        if (engine.lastFrameMs > 80 && k > 0) renderScale = steps[k - 1];
        else if (engine.lastFrameMs < 15 && k < steps.length - 1) renderScale = steps[k + 1];
      }
    };
    raf = requestAnimationFrame(tick);
    (window as any).__studioEngine = engine;
    return () => {
      stopped = true;
      cancelAnimationFrame(raf);
      if (bus.engine === engine) bus.engine = null;
      engine.destroy();
    };
  }, [gpuStatus, epoch]);

  // Rebuild the engine after a device loss (the controller bumps bus.gpuEpoch).
  useEffect(() => {
    const id = setInterval(() => setEpoch((e) => (e === bus.gpuEpoch ? e : bus.gpuEpoch)), 500);
    return () => clearInterval(id);
  }, []);

  // Framing on scene / model changes.
  useEffect(() => {
    bus.frame = (target) => {
      const s = useStudio.getState();
      const f = target === 'scene' && s.scene ? frameScene(s.scene, s.trainViews[0] ?? 0) : s.cloud ? frameCloud(s.cloud) : null;
      if (!f) return;
      view.framing = f;
      setUp(f.up);
      applyFraming(f);
    };
    bus.turntable = async (format, frames) => {
      const canvas = gpuCanvas.current;
      if (!canvas || !bus.engine || !view.camera) throw new Error('the WebGPU viewer is not running');
      await recordTurntable({ canvas, engine: bus.engine, camera: view.camera, controls: view.controls, framing: view.framing, format, frames });
    };
    const s = useStudio.getState();
    if (s.scene) bus.frame('scene');
    else if (s.cloud) bus.frame('cloud');
  }, []);

  return (
    <div className="viewer" data-testid="viewer">
      <canvas ref={gpuCanvas} className="gpu-canvas" data-testid="gpu-canvas" />
      <Canvas
        className="overlay-canvas"
        frameloop="demand"
        dpr={[1, 2]}
        gl={{ alpha: true, antialias: false, preserveDrawingBuffer: false }}
        camera={{ fov: 50, near: 0.01, far: 1000, position: [0, 0, -3] }}
        onCreated={({ gl }) => gl.setClearColor(0x000000, 0)}
      >
        <Rig up={up} />
        {scene && <Frustums scene={scene} />}
        {scene?.points && !cloud && trainState === 'idle' && <SparsePoints points={scene.points} />}
        {useSpark && splatFile && <SparkSplats file={splatFile} />}
      </Canvas>
    </div>
  );
}

function applyFraming(f: Framing): void {
  const cam = view.camera;
  if (!cam) return;
  cam.up.set(...f.up);
  cam.position.set(...f.position);
  cam.fov = f.fovY;
  cam.near = f.distance * 0.01;
  cam.far = f.distance * 100;
  cam.updateProjectionMatrix();
  cam.lookAt(...f.target);
  if (view.controls) {
    view.controls.target.set(...f.target);
    view.controls.update();
  }
  view.invalidate();
}

/** Publishes the camera/controls and animates fly-to. OrbitControls is re-created when "up" changes. */
function Rig({ up }: { up: [number, number, number] }) {
  const { camera, invalidate, gl } = useThree();
  const controls = useRef<OrbitControlsImpl>(null);
  const fly = useRef<{ t0: number; from: THREE.Vector3; to: THREE.Vector3; q0: THREE.Quaternion; q1: THREE.Quaternion; target: THREE.Vector3 } | null>(null);
  useEffect(() => {
    view.camera = camera as THREE.PerspectiveCamera;
    view.invalidate = invalidate;
    camera.up.set(...up);
  }, [camera, invalidate, up]);
  useEffect(() => {
    view.controls = controls.current;
    if (view.framing) applyFraming(view.framing);
  }, [up]);
  useEffect(() => {
    // Read-only probes for the e2e tests: where a frustum's photo is on screen, where the camera is.
    Object.assign(window, {
      __studioFrustumScreen: (i: number) => {
        const c = useStudio.getState().scene?.cameras[i];
        if (!c) return null;
        const p = new THREE.Vector3(...c.center).add(new THREE.Vector3(...c.forward).multiplyScalar(view.frustumSize));
        const ndc = p.project(camera);
        const rect = gl.domElement.getBoundingClientRect();
        return { x: rect.left + ((ndc.x + 1) / 2) * rect.width, y: rect.top + ((1 - ndc.y) / 2) * rect.height, visible: Math.abs(ndc.z) <= 1 };
      },
      __studioViewCamera: () => camera.position.toArray(),
      // The orbit target and every input camera centre in normalized device coordinates.
      __studioFraming: () => {
        const scene = useStudio.getState().scene;
        const cams = scene?.cameras ?? [];
        camera.updateMatrixWorld();
        return {
          target: view.controls ? view.controls.target.toArray() : null,
          centres: cams.map((c) => c.center),
          forwards: cams.map((c) => c.forward),
          depthBounds: scene?.depthBounds ?? null,
          centresNdc: cams.map((c) => new THREE.Vector3(...c.center).project(camera).toArray()),
        };
      },
    });
  }, [camera, gl]);
  useEffect(() => {
    bus.flyTo = (i: number) => {
      const s = useStudio.getState();
      const c = s.scene?.cameras[i];
      if (!c) return;
      const R = c.R;
      const basis = new THREE.Matrix4().makeBasis(
        new THREE.Vector3(R[0], R[1], R[2]),
        new THREE.Vector3(-R[3], -R[4], -R[5]),
        new THREE.Vector3(-R[6], -R[7], -R[8]),
      );
      const dist = view.framing?.distance ?? 1;
      const to = new THREE.Vector3(...c.center);
      fly.current = {
        t0: performance.now(),
        from: camera.position.clone(),
        to,
        q0: camera.quaternion.clone(),
        q1: new THREE.Quaternion().setFromRotationMatrix(basis),
        target: to.clone().add(new THREE.Vector3(...c.forward).multiplyScalar(dist)),
      };
      const cam = camera as THREE.PerspectiveCamera;
      cam.fov = (2 * Math.atan(c.height / 2 / c.fy) * 180) / Math.PI;
      cam.updateProjectionMatrix();
      if (controls.current) controls.current.enabled = false;
      invalidate();
    };
  }, [camera, invalidate]);
  useFrame(() => {
    const f = fly.current;
    if (!f) return;
    const t = Math.min(1, (performance.now() - f.t0) / 600);
    const e = t * t * (3 - 2 * t);
    camera.position.lerpVectors(f.from, f.to, e);
    camera.quaternion.slerpQuaternions(f.q0, f.q1, e);
    if (t < 1) {
      invalidate();
      return;
    }
    fly.current = null;
    if (controls.current) {
      controls.current.target.copy(f.target);
      controls.current.enabled = true;
      controls.current.update();
      camera.quaternion.copy(f.q1);
    }
    invalidate();
  });
  return <OrbitControls key={up.join(',')} ref={controls} makeDefault enableDamping={false} />;
}

/** One frustum per input camera: wireframe pyramid + its photo on the image plane. Click to fly there. */
function Frustums({ scene }: { scene: Scene }) {
  const trainViews = useStudio((s) => s.trainViews);
  const current = useStudio((s) => s.currentView);
  const size = useMemo(() => {
    const f = frameScene(scene, 0);
    const c = scene.cameras.map((cam) => cam.center);
    let gap = Infinity; // nearest-neighbour spacing of the cameras bounds the frustum size
    for (let i = 0; i < c.length; i++)
      for (let j = i + 1; j < c.length; j++) gap = Math.min(gap, Math.hypot(c[i][0] - c[j][0], c[i][1] - c[j][1], c[i][2] - c[j][2]));
    view.frustumSize = Math.min(f.distance * 0.06, Number.isFinite(gap) && gap > 0 ? gap * 0.9 : Infinity);
    return view.frustumSize;
  }, [scene]);
  // Photos change only with a new scene; refined poses (withCameras) keep the images array.
  const textures = useMemo(
    () =>
      scene.images.map((im) => {
        const tex = new THREE.CanvasTexture(imageToCanvas(im, 128));
        tex.colorSpace = THREE.SRGBColorSpace;
        return tex;
      }),
    [scene.images],
  );
  useEffect(() => () => textures.forEach((t) => t.dispose()), [textures]);
  const items = useMemo(
    () =>
      scene.cameras.map((c, i) => {
        const corners = [
          [0, 0],
          [c.width, 0],
          [c.width, c.height],
          [0, c.height],
        ].map(([u, v]) => {
          const p = [((u - c.cx) / c.fx) * size, ((v - c.cy) / c.fy) * size, size];
          const R = c.R;
          const C = c.center;
          return new THREE.Vector3(
            R[0] * p[0] + R[3] * p[1] + R[6] * p[2] + C[0],
            R[1] * p[0] + R[4] * p[1] + R[7] * p[2] + C[1],
            R[2] * p[0] + R[5] * p[1] + R[8] * p[2] + C[2],
          );
        });
        const apex = new THREE.Vector3(...c.center);
        const lines = new THREE.BufferGeometry().setFromPoints([
          apex, corners[0], apex, corners[1], apex, corners[2], apex, corners[3],
          corners[0], corners[1], corners[1], corners[2], corners[2], corners[3], corners[3], corners[0],
        ]);
        const plane = new THREE.BufferGeometry();
        plane.setAttribute('position', new THREE.Float32BufferAttribute(corners.flatMap((v) => [v.x, v.y, v.z]), 3));
        plane.setAttribute('uv', new THREE.Float32BufferAttribute([0, 1, 1, 1, 1, 0, 0, 0], 2));
        plane.setIndex([0, 2, 1, 0, 3, 2]);
        return { lines, plane, tex: textures[i] };
      }),
    [scene, size, textures],
  );
  useEffect(() => () => items.forEach((it) => (it.lines.dispose(), it.plane.dispose())), [items]);
  return (
    <group>
      {items.map((it, i) => {
        const color = i === current ? '#ffd000' : trainViews.includes(i) ? '#ff7a1a' : '#8899aa';
        return (
          <group key={i}>
            <lineSegments geometry={it.lines}>
              <lineBasicMaterial color={color} />
            </lineSegments>
            <mesh
              geometry={it.plane}
              onClick={(e) => {
                e.stopPropagation();
                bus.flyTo(i);
              }}
            >
              <meshBasicMaterial map={it.tex} side={THREE.DoubleSide} transparent opacity={0.85} toneMapped={false} />
            </mesh>
          </group>
        );
      })}
    </group>
  );
}

/** WebGL2 fallback: Spark draws the splat file (used without WebGPU, or without our reader). */
function SparkSplats({ file }: { file: { name: string; bytes: Uint8Array } }) {
  const { gl, scene, invalidate } = useThree();
  // Spark sorts in a worker and needs frames to show the result: redraw a few times a second
  // (not every animation frame: on a software GPU one frame can take seconds).
  useEffect(() => {
    const id = setInterval(() => invalidate(), 250);
    return () => clearInterval(id);
  }, [invalidate]);
  useEffect(() => {
    // Same conventions as our rasterizer (src/app/sparkConventions.ts): dilation, cut-off, sort
    // order, and our world's axes for formats Spark reads in other axes (SPZ).
    const spark = new SparkRenderer({ renderer: gl, ...SPARK_MATCH_OPTIONS });
    const mesh = new SplatMesh({ fileBytes: file.bytes.slice().buffer, fileName: file.name, extSplats: true });
    const axes = sparkObjectMatrix(file.name);
    if (axes) {
      mesh.matrixAutoUpdate = false;
      mesh.matrix.copy(axes);
    }
    scene.add(spark);
    scene.add(mesh);
    void mesh.initialized.then(() => {
      const box = mesh.getBoundingBox?.(true) as THREE.Box3 | undefined;
      if (axes) box?.applyMatrix4(axes);
      if (box && !box.isEmpty()) {
        const c = box.getCenter(new THREE.Vector3());
        const r = box.getSize(new THREE.Vector3()).length() / 2;
        view.framing = { position: [c.x, c.y, c.z - r * 1.6], target: [c.x, c.y, c.z], up: [0, -1, 0], fovY: 50, distance: r * 1.6 };
        applyFraming(view.framing);
      }
    });
    return () => {
      scene.remove(mesh);
      scene.remove(spark);
      mesh.dispose();
    };
  }, [file, gl, scene]);
  return null;
}
