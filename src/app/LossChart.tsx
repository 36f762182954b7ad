/** Live chart of the training loss (left axis, log scale) and PSNR in dB (right axis), with uPlot. */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useStudio } from './store';

export function LossChart() {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const history = useStudio((s) => s.history);
  useEffect(() => {
    if (!host.current) return;
    const u = new uPlot(
      {
        width: host.current.clientWidth || 300,
        height: 140,
        legend: { show: true },
        scales: { x: { time: false }, loss: { distr: 3 }, psnr: {} },
        axes: [
          { stroke: '#aaa', grid: { stroke: '#333' } },
          { scale: 'loss', stroke: '#f90', grid: { stroke: '#333' }, size: 50 },
          { scale: 'psnr', side: 1, stroke: '#4cf', grid: { show: false }, size: 40 },
        ],
        series: [{ label: 'step' }, { label: 'loss', scale: 'loss', stroke: '#f90' }, { label: 'PSNR', scale: 'psnr', stroke: '#4cf' }],
      },
      [[], [], []],
      host.current,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: host.current?.clientWidth || 300, height: 140 }));
    ro.observe(host.current);
    return () => {
      ro.disconnect();
      u.destroy();
    };
  }, []);
  useEffect(() => {
    plot.current?.setData([history.map((p) => p.step), history.map((p) => Math.max(p.loss, 1e-6)), history.map((p) => p.psnr)]);
  }, [history]);
  return <div className="chart" ref={host} data-testid="loss-chart" />;
}
