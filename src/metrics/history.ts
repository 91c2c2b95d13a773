import type { MetricPoint } from '../protocol/metrics.js';

/** A fixed-size ring of (time, cpu %, memory) points: no allocation per sample. */
export class MetricHistory {
  private readonly t: Float64Array;
  private readonly cpu: Float32Array;
  private readonly mem: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.t = new Float64Array(capacity);
    this.cpu = new Float32Array(capacity);
    this.mem = new Float64Array(capacity);
  }

  push(t: number, cpuPercent: number, memoryBytes: number): void {
    const i = (this.start + this.count) % this.capacity;
    this.t[i] = t;
    this.cpu[i] = cpuPercent;
    this.mem[i] = memoryBytes;
    if (this.count < this.capacity) this.count += 1;
    else this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first; only points at or after `since` (epoch ms) when given. */
  points(since = 0): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (let k = 0; k < this.count; k += 1) {
      const i = (this.start + k) % this.capacity;
      const t = this.t[i] as number;
      if (t >= since) out.push({ t, cpuPercent: Math.round((this.cpu[i] as number) * 10) / 10, memoryBytes: this.mem[i] as number });
    }
    return out;
  }
}
