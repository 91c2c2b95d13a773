// Two small time-series charts (CPU %, memory MB) drawn with uPlot, shipped in the package.
// uPlot itself is loaded by its own <script> (dist/web/uPlot.iife.min.js) as the global `uPlot`.
import type UPlot from 'uplot';

declare const uPlot: typeof UPlot;

const MAX_POINTS = 600;
/** The window an app with no sample yet (stopped, crashed at once) is drawn over: the last 10 minutes, in seconds. */
const EMPTY_WINDOW_S = 600;

/**
 * The time axis: the samples' span, or for none (or one) the minutes up to now. uPlot's own
 * guess for no data is years away from today, which reads as dates the app never lived.
 */
function timeRange(_u: UPlot, min: number | null, max: number | null): UPlot.Range.MinMax {
  if (min !== null && max !== null && Number.isFinite(min) && Number.isFinite(max) && max > min) return [min, max];
  const end = max !== null && Number.isFinite(max) ? max : Date.now() / 1000;
  return [end - EMPTY_WINDOW_S, end];
}

export interface Chart {
  set(points: Array<[number, number]>): void;
  push(t: number, v: number): void;
  readonly count: number;
  /** The time axis as drawn (seconds), for tests. */
  readonly range: [number, number] | null;
  resize(): void;
}

export function makeChart(el: HTMLElement, label: string, color: string, fmt: 'pct' | 'mb'): Chart {
  const opts: UPlot.Options = {
    width: el.clientWidth || 300,
    height: 150,
    legend: { show: false },
    cursor: { show: true, drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: timeRange as UPlot.Range.Function },
      y: { range: (_u, _min, max) => [0, Math.max(max * 1.15, fmt === 'pct' ? 5 : 16)] },
    },
    axes: [
      { stroke: '#8591a0', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' } },
      { stroke: '#8591a0', grid: { stroke: '#262c35' }, ticks: { stroke: '#262c35' }, size: 48 },
    ],
    series: [{}, { label, stroke: color, width: 1.5, fill: color + '22', points: { show: false } }],
  };
  const data: [number[], number[]] = [[], []];
  const plot = new uPlot(opts, data, el);
  // uPlot does not range a time scale with fewer than two points (it spans years from today):
  // then the axis is set to the window timeRange gives.
  const draw = (): void => {
    plot.setData(data);
    if (data[0].length < 2) {
      const [min, max] = timeRange(plot, null, data[0].at(-1) ?? null) as [number, number];
      plot.setScale('x', { min, max });
    }
  };
  draw();
  return {
    set(points) {
      data[0] = points.map((p) => p[0]);
      data[1] = points.map((p) => p[1]);
      draw();
    },
    push(t, v) {
      data[0].push(t);
      data[1].push(v);
      if (data[0].length > MAX_POINTS) {
        data[0].shift();
        data[1].shift();
      }
      draw();
    },
    get count() {
      return data[0].length;
    },
    get range(): [number, number] | null {
      const x = plot.scales.x;
      return x?.min == null || x.max == null ? null : [x.min, x.max];
    },
    resize() {
      plot.setSize({ width: el.clientWidth || 300, height: 150 });
    },
  };
}
