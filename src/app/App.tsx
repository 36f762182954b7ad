/**
 * The studio page: toolbar (open files / folder, export, render mode, turntable, new), the viewer
 * with drop zone, the training panel, and page messages. A second tab hosts the avatar demo once
 * its AvatarPage component exists.
 */
import { useEffect, useRef, useState, type ComponentType, type DragEvent } from 'react';
import { bus, exportModel, initStudio, newProject, openFiles } from './controller';
import { filesFromDrop } from './dropFiles';
import { loadParts } from './parts';
import { useStudio, type RenderMode } from './store';
import { TrainingPanel } from './TrainingPanel';
import { Viewer } from './Viewer';

export function App() {
  const page = useStudio((s) => s.page);
  const set = useStudio((s) => s.set);
  const [Avatar, setAvatar] = useState<ComponentType | null>(null);
  useEffect(() => {
    void initStudio();
    void loadParts().then((p) => p.AvatarPage && setAvatar(() => p.AvatarPage!));
  }, []);
  return (
    <div className="app">
      <header>
        <h1>sparsesplat</h1>
        <nav>
          <button className={page === 'studio' ? 'on' : ''} onClick={() => set({ page: 'studio' })}>
            Studio
          </button>
          {Avatar && (
            <button className={page === 'avatar' ? 'on' : ''} onClick={() => set({ page: 'avatar' })} data-testid="tab-avatar">
              Avatar
            </button>
          )}
        </nav>
        {page === 'studio' && <Toolbar />}
      </header>
      <Notices />
      {page === 'studio' ? <Studio /> : Avatar ? <Avatar /> : null}
    </div>
  );
}

function Toolbar() {
  const files = useRef<HTMLInputElement>(null);
  const folder = useRef<HTMLInputElement>(null);
  const mode = useStudio((s) => s.mode);
  const set = useStudio((s) => s.set);
  const hasModel = useStudio((s) => !!s.cloud || s.history.length > 0);
  const busy = useStudio((s) => s.busy);
  const gpuOk = useStudio((s) => s.gpuStatus === 'ok');
  const [recording, setRecording] = useState(false);
  const [frames, setFrames] = useState(60);
  const pick = (list: FileList | null) => list && void openFiles([...list]);
  const frameAll = () => {
    const s = useStudio.getState();
    if (s.scene) bus.frame('scene');
    else if (s.cloud) bus.frame('cloud');
  };
  // F frames everything, as in other 3D tools (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const el = e.target as HTMLElement | null;
      if (e.key !== 'f' && e.key !== 'F') return;
      if (e.ctrlKey || e.metaKey || e.altKey || (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.isContentEditable))) return;
      frameAll();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  const turntable = async (format: 'webm' | 'png') => {
    setRecording(true);
    try {
      await bus.turntable(format, frames);
    } catch (e) {
      useStudio.getState().notify('error', `Turntable failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setRecording(false);
    }
  };
  return (
    <div className="toolbar">
      <button onClick={() => files.current?.click()} data-testid="open-files">
        Open files…
      </button>
      <button onClick={() => folder.current?.click()}>Open folder…</button>
      <input
        ref={files}
        type="file"
        multiple
        hidden
        accept=".ply,.splat,.spz,.sog,.glb,.ksplat,.webp,.zip,.png,.jpg,.jpeg,.heic,.heif,.npy,.json,.txt,.bin"
        data-testid="file-input"
        onChange={(e) => (pick(e.target.files), (e.target.value = ''))}
      />
      <input
        ref={folder}
        type="file"
        hidden
        data-testid="folder-input"
        {...({ webkitdirectory: '', directory: '' } as Record<string, string>)}
        onChange={(e) => (pick(e.target.files), (e.target.value = ''))}
      />
      <span className="sep" />
      <span>Export</span>
      {(['ply', 'splat', 'spz', 'sog', 'glb'] as const).map((ext) => (
        <button key={ext} disabled={!hasModel} onClick={() => void exportModel(ext)} data-testid={`export-${ext}`}>
          .{ext}
        </button>
      ))}
      <span className="sep" />
      {(['rgb', 'depth', 'alpha'] as RenderMode[]).map((m) => (
        <button key={m} className={mode === m ? 'on' : ''} disabled={!gpuOk} onClick={() => set({ mode: m })} data-testid={`mode-${m}`}>
          {m.toUpperCase()}
        </button>
      ))}
      <button onClick={frameAll} title="Fit the cameras (or the model) into the view (F)" data-testid="frame-all">
        Frame all
      </button>
      <span className="sep" />
      <label title="Frames over one full turn">
        Turntable{' '}
        <input
          type="number"
          min={2}
          max={720}
          value={frames}
          style={{ width: 56 }}
          data-testid="turntable-frames"
          onChange={(e) => setFrames(Math.max(2, Math.min(720, Math.round(Number(e.target.value) || 2))))}
        />
      </label>
      <button disabled={!gpuOk || recording} onClick={() => void turntable('webm')} data-testid="turntable-webm">
        WebM
      </button>
      <button disabled={!gpuOk || recording} onClick={() => void turntable('png')} data-testid="turntable-png">
        PNG frames
      </button>
      <span className="sep" />
      <button onClick={() => void newProject()} title="Forget the saved work and reload the sample scene">
        New
      </button>
      {busy && (
        <span className="busy" data-testid="busy">
          {busy}… <progress />
        </span>
      )}
    </div>
  );
}

function Studio() {
  const [over, setOver] = useState(false);
  const gpuStatus = useStudio((s) => s.gpuStatus);
  const gpuMessage = useStudio((s) => s.gpuMessage);
  const loading = useStudio((s) => s.loading);
  const onDrop = async (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void openFiles(await filesFromDrop(e.dataTransfer));
  };
  return (
    <main
      className={`studio ${over ? 'drag' : ''}`}
      data-testid="dropzone"
      onDragOver={(e) => (e.preventDefault(), setOver(true))}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => void onDrop(e)}
    >
      <div className="view-wrap">
        <Viewer />
        <div className="gpu-line" data-testid="gpu-status" data-status={gpuStatus}>
          {gpuStatus === 'ok' ? `WebGPU: ${gpuMessage}` : gpuMessage}
        </div>
        {loading && <div className="load-hint">{loading.verb ?? 'Loading'} {loading.label}: {loading.text}</div>}
        {over && <div className="drop-hint">Drop photos + poses, a folder, a .zip, or a splat file</div>}
      </div>
      <TrainingPanel />
    </main>
  );
}

function Notices() {
  const notices = useStudio((s) => s.notices);
  const dismiss = useStudio((s) => s.dismiss);
  return (
    <div className="notices" data-testid="notices">
      {notices.map((n) => (
        <div key={n.id} className={`notice ${n.kind}`} role={n.kind === 'error' ? 'alert' : 'status'} data-testid={`notice-${n.kind}`}>
          <span>{n.text}</span>
          <button onClick={() => dismiss(n.id)} aria-label="dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
