/**
 * Turntable export: orbits the view camera once around the orbit target (about the framing's up
 * axis), renders each frame with the WebGPU engine, copies it to a 2D canvas in the same task (the
 * WebGPU canvas texture is only readable before it is presented), and writes either a WebM
 * (MediaRecorder on the 2D canvas's stream) or a .zip of numbered PNGs (fflate).
 */
import { zipSync } from 'fflate';
import * as THREE from 'three';
import type { OrbitControls as OrbitControlsImpl } from 'three-stdlib';
import { bus, download } from './controller';
import type { Framing } from './framing';
import { useStudio } from './store';
import { cameraFromGL, type ViewerEngine } from './ViewerEngine';

export interface TurntableOptions {
  canvas: HTMLCanvasElement;
  engine: ViewerEngine;
  camera: THREE.PerspectiveCamera;
  controls: OrbitControlsImpl | null;
  framing: Framing | null;
  format: 'webm' | 'png';
  /** Frames over the full turn. */
  frames: number;
  /** WebM frame rate (frames per second). */
  fps?: number;
}

/**
 * Records the turntable and downloads `<scene>-turntable.webm` or `<scene>-turntable.zip`.
 * @throws Error when MediaRecorder cannot record WebM in this browser (use PNG then)
 */
export async function recordTurntable(o: TurntableOptions): Promise<void> {
  const { canvas, engine, camera } = o;
  const st = useStudio.getState();
  const w = canvas.width;
  const h = canvas.height;
  const target = o.controls ? o.controls.target.clone() : new THREE.Vector3(...(o.framing?.target ?? [0, 0, 0]));
  const up = camera.up.clone().normalize();
  const start = camera.position.clone();
  const dist = o.framing?.distance ?? start.distanceTo(target);
  const out = document.createElement('canvas');
  out.width = w;
  out.height = h;
  const ctx2d = out.getContext('2d')!;
  const fps = o.fps ?? 30;
  let recorder: MediaRecorder | null = null;
  const chunks: Blob[] = [];
  let track: CanvasCaptureMediaStreamTrack | null = null;
  if (o.format === 'webm') {
    const mime = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'].find((m) => MediaRecorder.isTypeSupported(m));
    if (!mime) throw new Error('this browser cannot record WebM: export a PNG sequence instead');
    const stream = out.captureStream(0);
    track = stream.getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
    recorder = new MediaRecorder(stream, { mimeType: mime });
    recorder.ondataavailable = (e) => e.data.size && chunks.push(e.data);
    recorder.start();
  }
  const pngs: Record<string, Uint8Array> = {};
  const saved = { pos: camera.position.clone(), quat: camera.quaternion.clone() };
  try {
    for (let i = 0; i < o.frames; i++) {
      const angle = (2 * Math.PI * i) / o.frames;
      const offset = start.clone().sub(target).applyAxisAngle(up, angle);
      camera.position.copy(target).add(offset);
      camera.lookAt(target);
      camera.updateMatrixWorld();
      await engine.settle();
      engine.render({
        camera: cameraFromGL(camera.matrixWorld.elements, camera.fov, w, h),
        mode: st.mode,
        background: st.scene?.background ?? [0, 0, 0],
        near: dist * 0.2,
        far: dist * 4,
        renderScale: 1,
      });
      ctx2d.drawImage(canvas, 0, 0); // same task as the render: before the frame is presented
      await engine.settle();
      if (track) {
        track.requestFrame();
        await new Promise((r) => setTimeout(r, 1000 / fps));
      } else {
        const blob = await new Promise<Blob | null>((r) => out.toBlob(r, 'image/png'));
        if (blob) pngs[`${st.name}-${String(i).padStart(4, '0')}.png`] = new Uint8Array(await blob.arrayBuffer());
      }
    }
  } finally {
    camera.position.copy(saved.pos);
    camera.quaternion.copy(saved.quat);
    camera.updateMatrixWorld();
    o.controls?.update();
    bus.requestRender();
  }
  if (recorder) {
    const done = new Promise((r) => (recorder!.onstop = r));
    recorder.stop();
    await done;
    download(new Blob(chunks, { type: 'video/webm' }), `${st.name}-turntable.webm`);
  } else {
    download(zipSync(pngs, { level: 0 }), `${st.name}-turntable.zip`);
  }
}
