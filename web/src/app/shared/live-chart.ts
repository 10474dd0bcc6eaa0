import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterRenderEffect,
  computed,
  input,
  untracked,
  viewChild,
} from '@angular/core';
import { clockTime, formatRate } from './format';

export interface ChartPoint {
  /** Time, unix ms. */
  t: number;
  v: number;
}

/** The SVG's user space; it is stretched to the box (preserveAspectRatio="none"), strokes do not scale. */
export const VIEW_W = 600;
export const VIEW_H = 160;
/** Room at the right edge for the head dot, top and bottom for the stroke. */
const PAD_RIGHT = 18;
const PAD_Y = 4;
/** Two points further apart than this are not joined (the socket was away). */
export const GAP_MS = 3500;

/** The smallest "nice" number (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k) at or above `v`; 1 for nothing to show. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const exp = Math.floor(Math.log10(v));
  const base = 10 ** exp;
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (m * base >= v - 1e-9) return m * base;
  }
  return 10 * base;
}

export interface ChartGeometry {
  /** The line: one `M` per run of points without a gap, then `L`s. Empty for no points. */
  line: string;
  /** The area under the line, one closed shape per run. */
  area: string;
  /** A zero-length path at the newest point, drawn with a round cap (a dot that does not stretch). */
  head: string;
  /** The top of the y axis. */
  yMax: number;
}

const r1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The paths for points within [end - windowMs, end]: x grows with time, the newest point at the
 * right edge; y from 0 (bottom) to a nice maximum above the highest value (with some headroom), a whole
 * number for `integer` series.
 */
export function chartGeometry(points: readonly ChartPoint[], end: number, windowMs: number, integer = false): ChartGeometry {
  const shown = points.filter((p) => p.t >= end - windowMs && p.t <= end && Number.isFinite(p.v));
  const high = shown.reduce((m, p) => Math.max(m, p.v), 0);
  // Counts get a whole number at the top of the axis (1.5 connections would read as "2").
  const yMax = integer ? Math.ceil(niceCeil(high * 1.15)) : niceCeil(high * 1.15);
  const plotW = VIEW_W - PAD_RIGHT;
  const x = (t: number) => r1(plotW * (1 - (end - t) / windowMs));
  const y = (v: number) => r1(VIEW_H - PAD_Y - (Math.max(0, v) / yMax) * (VIEW_H - 2 * PAD_Y));
  const base = VIEW_H - PAD_Y;
  const line: string[] = [];
  const area: string[] = [];
  let run: ChartPoint[] = [];
  const flush = () => {
    if (!run.length) return;
    const pts = run.map((p) => `${x(p.t)},${y(p.v)}`);
    line.push(`M${pts.join('L')}`);
    if (run.length > 1) area.push(`M${x(run[0].t)},${base}L${pts.join('L')}L${x(run[run.length - 1].t)},${base}Z`);
    run = [];
  };
  for (const p of shown) {
    if (run.length && p.t - run[run.length - 1].t > GAP_MS) flush();
    run.push(p);
  }
  flush();
  const last = shown.at(-1);
  return {
    line: line.join(''),
    area: area.join(''),
    head: last && last.t === end ? `M${x(last.t)},${y(last.v)}Z` : '',
    yMax,
  };
}

/** Every `stepMs` back from the newest point: the rows of the chart's text alternative. */
export function sampleEvery(points: readonly ChartPoint[], stepMs: number): ChartPoint[] {
  const out: ChartPoint[] = [];
  let next = Infinity;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i];
    if (p.t <= next) {
      out.push(p);
      next = p.t - stepMs + 500;
    }
  }
  return out.reverse();
}

/**
 * A small live line chart, hand-rolled SVG: the last `windowMs` of `points`, newest at the right edge.
 * Accessible: the SVG has a summary as its label, and a visually hidden table lists a value every 15 s.
 * When new points arrive the line slides left (unless the user prefers reduced motion).
 */
@Component({
  selector: 'app-live-chart',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { class: 'chart', role: 'figure', '[attr.data-tone]': 'tone()', '[attr.aria-labelledby]': 'titleId' },
  template: `
    <div class="chart__head">
      <span class="chart__title" [id]="titleId">{{ title() }}</span>
      <span class="chart__now">{{ latestText() }}</span>
    </div>
    <div class="chart__plot">
      <svg
        class="chart__svg"
        [attr.viewBox]="viewBox"
        preserveAspectRatio="none"
        role="img"
        [attr.aria-label]="summary()"
        [attr.data-points]="points().length"
      >
        <g class="chart__grid" aria-hidden="true">
          @for (gy of gridY; track gy) {
            <line x1="0" [attr.x2]="viewW" [attr.y1]="gy" [attr.y2]="gy" vector-effect="non-scaling-stroke" />
          }
          @for (gx of gridX(); track gx) {
            <line [attr.x1]="gx" [attr.x2]="gx" y1="0" [attr.y2]="viewH" vector-effect="non-scaling-stroke" />
          }
        </g>
        <g #data class="chart__data">
          <path class="chart__area" [attr.d]="geometry().area" />
          <path class="chart__line" [attr.d]="geometry().line" vector-effect="non-scaling-stroke" />
          <path class="chart__head-dot" [attr.d]="geometry().head" vector-effect="non-scaling-stroke" />
        </g>
      </svg>
      <span class="chart__y chart__y--top" aria-hidden="true">{{ yMaxText() }}</span>
      <span class="chart__y chart__y--bottom" aria-hidden="true">0</span>
    </div>
    <div class="chart__x" aria-hidden="true">
      <span>{{ windowText() }} ago</span>
      <span>now</span>
    </div>
    <table class="visually-hidden">
      <caption>
        {{ title() }}, every 15 seconds
      </caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">{{ title() }}</th>
        </tr>
      </thead>
      <tbody>
        @for (row of tableRows(); track row.t) {
          <tr>
            <td>{{ row.time }}</td>
            <td>{{ row.value }}</td>
          </tr>
        }
      </tbody>
    </table>
  `,
})
export class LiveChart {
  /** The series, oldest first. */
  readonly points = input.required<readonly ChartPoint[]>();
  /** The right edge (ms): normally the newest point's time. */
  readonly end = input.required<number>();
  readonly title = input.required<string>();
  readonly windowMs = input(120_000);
  readonly format = input<(v: number) => string>(formatRate);
  readonly tone = input<'accent' | 'blue'>('accent');
  /** Whole numbers (counts): the axis tops out at a whole number too. */
  readonly integer = input(false);

  private static nextId = 0;
  protected readonly titleId = `chart-title-${LiveChart.nextId++}`;
  protected readonly viewW = VIEW_W;
  protected readonly viewH = VIEW_H;
  protected readonly viewBox = `0 0 ${VIEW_W} ${VIEW_H}`;
  protected readonly gridY = [VIEW_H / 2, PAD_Y, VIEW_H - PAD_Y].map(r1);

  private readonly data = viewChild<ElementRef<SVGGElement>>('data');

  protected readonly geometry = computed(() => chartGeometry(this.points(), this.end(), this.windowMs(), this.integer()));

  /** A vertical line every 30 s back from the right edge. */
  protected readonly gridX = computed(() => {
    const w = this.windowMs();
    const plotW = VIEW_W - PAD_RIGHT;
    const out: number[] = [];
    for (let back = 30_000; back < w; back += 30_000) out.push(r1(plotW * (1 - back / w)));
    return out;
  });

  private readonly shown = computed(() => this.points().filter((p) => p.t >= this.end() - this.windowMs() && p.t <= this.end()));

  protected readonly latestText = computed(() => {
    const last = this.shown().at(-1);
    return last ? this.format()(last.v) : '—';
  });

  protected readonly yMaxText = computed(() => this.format()(this.geometry().yMax));

  protected readonly windowText = computed(() => {
    const s = Math.round(this.windowMs() / 1000);
    return s % 60 === 0 ? `${s / 60} min` : `${s} s`;
  });

  /** What a screen reader announces for the chart. */
  protected readonly summary = computed(() => {
    const pts = this.shown();
    const span = this.windowText();
    if (!pts.length) return `${this.title()}, last ${span}: no data yet`;
    const f = this.format();
    const values = pts.map((p) => p.v);
    const low = Math.min(...values);
    const high = Math.max(...values);
    return `${this.title()}, last ${span}: now ${f(values[values.length - 1])}, low ${f(low)}, high ${f(high)}`;
  });

  protected readonly tableRows = computed(() =>
    sampleEvery(this.shown(), 15_000).map((p) => ({ t: p.t, time: clockTime(p.t), value: this.format()(p.v) })),
  );

  constructor() {
    let previousEnd: number | null = null;
    // Slide: redrawn with the new point, the data starts where it was and moves left by one step.
    afterRenderEffect(() => {
      const end = this.end();
      const g = this.data()?.nativeElement;
      untracked(() => {
        const step = previousEnd === null ? 0 : end - previousEnd;
        previousEnd = end;
        if (!g || step <= 0 || step > 2000 || typeof g.animate !== 'function' || prefersReducedMotion()) return;
        const dx = ((VIEW_W - PAD_RIGHT) * step) / this.windowMs();
        g.animate([{ transform: `translateX(${dx}px)` }, { transform: 'translateX(0)' }], {
          duration: step,
          easing: 'linear',
        });
      });
    });
  }
}

function prefersReducedMotion(): boolean {
  return typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
}
