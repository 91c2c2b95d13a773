// Two small time-series charts (CPU %, memory MB) drawn with uPlot, shipped in the package.
// uPlot itself is loaded by its own <script> (dist/web/uPlot.iife.min.js) as the global `uPlot`.
import type UPlot from 'uplot';

declare const uPlot: typeof UPlot;

const MAX_POINTS = 600;

export interface Chart {
  set(points: Array<[number, number]>): void;
  push(t: number, v: number): void;
  readonly count: number;
  resize(): void;
}

export function makeChart(el: HTMLElement, label: string, color: string, fmt: 'pct' | 'mb'): Chart {
  const opts: UPlot.Options = {
    width: el.clientWidth || 300,
    height: 150,
    legend: { show: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, fmt === 'pct' ? 5 : 16)] } },
    axes: [
      { stroke: '#8591a0', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' } },
      { stroke: '#8591a0', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' }, size: 48 },
    ],
    series: [{}, { label, stroke: color, width: 1.5, fill: color + '22', points: { show: false } }],
  };
  const data: [number[], number[]] = [[], []];
  const plot = new uPlot(opts, data, el);
  return {
    set(points) {
      data[0] = points.map((p) => p[0]);
      data[1] = points.map((p) => p[1]);
      plot.setData(data);
    },
    push(t, v) {
      data[0].push(t);
      data[1].push(v);
      if (data[0].length > MAX_POINTS) {
        data[0].shift();
        data[1].shift();
      }
      plot.setData(data);
    },
    get count() {
      return data[0].length;
    },
    resize() {
      plot.setSize({ width: el.clientWidth || 300, height: 150 });
    },
  };
}
