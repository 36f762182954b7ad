/**
 * Training panel: view thumbnails (click to toggle a training view; 3 chosen by the protocol by
 * default), recipe, iterations, training size, start / pause / resume / stop, the preparation
 * phase with its progress (depth prior, initialization, kernels), progress bar, it/s, time left,
 * live loss / PSNR chart, and the current training view's render beside its photo.
 */
import { bus, pauseTraining, resumeTraining, startTraining, stopTraining } from './controller';
import { ImageCanvas } from './ImageCanvas';
import { LossChart } from './LossChart';
import { useStudio, type Recipe } from './store';
import { formatDuration, trainingEtaSeconds } from './trainingEta';

export function TrainingPanel() {
  const s = useStudio();
  const loading = s.loading;
  // While a load runs, the previous scene is not shown as if it were current.
  const scene = loading ? null : s.scene;
  const canTrain = s.gpuStatus === 'ok' && !!scene;
  const last = s.history[s.history.length - 1];
  const progress = last ? Math.min(1, last.step / s.iterations) : 0;
  const active = s.train === 'running' || s.train === 'starting' || s.train === 'paused';
  const eta = s.train === 'running' ? trainingEtaSeconds(s.history, s.iterations) : null;
  const toggle = (i: number) => {
    if (active) return;
    const v = s.trainViews.includes(i) ? s.trainViews.filter((x) => x !== i) : [...s.trainViews, i].sort((a, b) => a - b);
    s.set({ trainViews: v });
  };
  return (
    <aside className="panel" data-testid="training-panel">
      <h2>Reconstruct</h2>
      {s.gpuStatus === 'none' && <p className="warn" data-testid="no-webgpu">{s.gpuMessage}</p>}
      {loading && (
        <div className="loading" data-testid="load-progress" data-fraction={loading.fraction.toFixed(3)}>
          <p className="hint">
            {loading.verb ?? 'Loading'} <b>{loading.label}</b>…
          </p>
          <progress max={1} value={loading.fraction} />
          <div className="load-stage" data-testid="load-progress-text">
            {loading.text}
          </div>
        </div>
      )}
      {!scene && !loading && s.gpuStatus === 'ok' && <p className="hint">Drop photos to reconstruct (a folder or .zip; 2-20 plain photos get their poses estimated), or a splat file to view.</p>}
      {scene && (
        <>
          <p className="hint">
            {scene.cameras.length} views of <b>{s.name}</b>; training on {s.trainViews.length} (click to change).
          </p>
          <div className="thumbs" data-testid="thumbs">
            {scene.images.map((im, i) => (
              <button
                key={i}
                className={`thumb ${s.trainViews.includes(i) ? 'train' : ''} ${i === s.currentView ? 'current' : ''}`}
                title={`${scene.imageNames[i] ?? `view ${i}`}${s.trainViews.includes(i) ? ' (training view)' : ''}`}
                data-testid={`thumb-${i}`}
                data-train={s.trainViews.includes(i) ? '1' : '0'}
                onClick={() => toggle(i)}
                onDoubleClick={() => bus.flyTo(i)}
              >
                <ImageCanvas image={im} maxSide={72} />
              </button>
            ))}
          </div>
        </>
      )}
      <div className="row">
        <label>
          Recipe{' '}
          <select value={s.recipe} disabled={active} onChange={(e) => s.set({ recipe: e.target.value as Recipe })} data-testid="recipe">
            <option value="sparse">sparse (depth-guided)</option>
            <option value="vanilla">vanilla 3DGS</option>
          </select>
        </label>
        <label>
          Iterations{' '}
          <input
            type="number"
            min={1}
            max={100000}
            value={s.iterations}
            disabled={active}
            data-testid="iterations"
            onChange={(e) => s.set({ iterations: Math.max(1, Math.round(Number(e.target.value) || 1)) })}
          />
        </label>
        <label title="Longest image side used for training (pixels)">
          Size{' '}
          <input
            type="number"
            min={16}
            max={4096}
            value={s.trainSize}
            disabled={active}
            data-testid="train-size"
            onChange={(e) => s.set({ trainSize: Math.max(16, Math.round(Number(e.target.value) || 16)) })}
          />
        </label>
      </div>
      <label className="overrides" title="Recipe settings as key=value, space separated (e.g. randomCount=2000 loss.s3im=0.1)">
        Overrides{' '}
        <input
          type="text"
          value={s.overrides}
          disabled={active}
          placeholder="randomCount=2000 …"
          data-testid="overrides"
          onChange={(e) => s.set({ overrides: e.target.value })}
        />
      </label>
      <div className="row buttons">
        <button disabled={!canTrain || active} onClick={() => void startTraining()} data-testid="start">
          Start
        </button>
        <button disabled={s.train !== 'running'} onClick={pauseTraining} data-testid="pause">
          Pause
        </button>
        <button disabled={s.train !== 'paused' || s.gpuStatus !== 'ok'} onClick={() => void resumeTraining()} data-testid="resume">
          Resume
        </button>
        <button disabled={!active} onClick={() => void stopTraining()} data-testid="stop">
          Stop
        </button>
      </div>
      {s.train === 'starting' && (
        <div className="phase" data-testid="phase-progress" data-fraction={s.phaseFraction === null ? '' : s.phaseFraction.toFixed(3)}>
          {/* No value: an indeterminate bar while a phase cannot be measured (kernel compilation). */}
          {s.phaseFraction === null ? <progress /> : <progress max={1} value={s.phaseFraction} />}
        </div>
      )}
      <progress max={1} value={progress} data-testid="progress" />
      <div className="stats" data-testid="train-stats" data-step={last?.step ?? 0} data-psnr={last?.psnr ?? ''} data-state={s.train}>
        <span>{s.train}</span>
        <span>step {last?.step ?? 0} / {s.iterations}</span>
        <span>{s.itPerSec ? `${s.itPerSec.toFixed(1)} it/s` : ''}</span>
        <span data-testid="train-eta">{eta !== null && eta > 0 ? `${formatDuration(eta)} left` : ''}</span>
        <span>{last ? `PSNR ${last.psnr.toFixed(2)} dB` : ''}</span>
        <span>{last ? `loss ${last.loss.toFixed(4)}` : ''}</span>
        <span>{last ? `${last.count.toLocaleString()} splats` : ''}</span>
      </div>
      {s.trainMessage && <p className={s.train === 'error' ? 'error' : 'hint'} data-testid="train-message">{s.trainMessage}</p>}
      <LossChart />
      {scene && (s.history.length > 0 || bus.viewRender) && (
        <div className="pair" data-testid="view-pair">
          <figure>
            <ImageCanvas image={bus.viewRender} maxSide={200} testId="view-render" />
            <figcaption>render</figcaption>
          </figure>
          <figure>
            <ImageCanvas image={(bus.trainScene ?? scene).images[s.currentView] ?? null} maxSide={200} testId="view-photo" />
            <figcaption>photo: {scene.imageNames[s.currentView]}</figcaption>
          </figure>
        </div>
      )}
    </aside>
  );
}
