import { TestBed } from '@angular/core/testing';
import { formatCount } from './format';
import { ChartPoint, GAP_MS, LiveChart, VIEW_H, chartGeometry, niceCeil, sampleEvery } from './live-chart';

const END = 1_764_000_120_000;
const series = (n: number, v: (i: number) => number = (i) => i): ChartPoint[] =>
  Array.from({ length: n }, (_, i) => ({ t: END - (n - 1 - i) * 1000, v: v(i) }));

/** The points of an SVG path made of M/L commands, one array per subpath. */
function subpaths(d: string): Array<Array<[number, number]>> {
  return d
    .split('M')
    .filter(Boolean)
    .map((sp) =>
      sp
        .replace(/Z$/, '')
        .split('L')
        .map((xy) => xy.split(',').map(Number) as [number, number]),
    );
}

describe('chart geometry', () => {
  it('niceCeil', () => {
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(0.7)).toBe(0.8);
    expect(niceCeil(1.1)).toBe(1.5);
    expect(niceCeil(2.2)).toBe(2.5);
    expect(niceCeil(37)).toBe(40);
    expect(niceCeil(50.6)).toBe(60);
    expect(niceCeil(1752)).toBe(2000);
    expect(niceCeil(8100)).toBe(10000);
    expect(niceCeil(100)).toBe(100);
  });

  it('draws one point per sample, newest at the right, higher values higher up', () => {
    const g = chartGeometry(series(5, (i) => i * 10), END, 120_000);
    const [line] = subpaths(g.line);
    expect(subpaths(g.line).length).toBe(1);
    expect(line.length).toBe(5);
    const xs = line.map(([x]) => x);
    const ys = line.map(([, y]) => y);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(xs.at(-1)).toBe(582);
    expect(ys[0]).toBe(VIEW_H - 4); // zero on the baseline
    expect(ys).toEqual([...ys].sort((a, b) => b - a));
    expect(g.yMax).toBe(50); // 40 × 1.15 → 50
    expect(g.head).toBe(`M${line.at(-1)![0]},${line.at(-1)![1]}Z`);
    expect(g.area.startsWith(`M${xs[0]},${VIEW_H - 4}L`)).toBe(true);
    expect(g.area.endsWith(`L582,${VIEW_H - 4}Z`)).toBe(true);
  });

  it('leaves out points older than the window and breaks the line at a gap', () => {
    const pts = [{ t: END - 200_000, v: 1 }, ...series(3).map((p) => ({ ...p, t: p.t - GAP_MS - 10_000 })), ...series(2)];
    const g = chartGeometry(pts, END, 120_000);
    expect(subpaths(g.line).map((sp) => sp.length)).toEqual([3, 2]);
    expect(subpaths(g.area).length).toBe(2);
  });

  it('an integer series tops out at a whole number', () => {
    expect(chartGeometry(series(3, () => 1), END, 120_000).yMax).toBe(1.5);
    expect(chartGeometry(series(3, () => 1), END, 120_000, true).yMax).toBe(2);
    expect(chartGeometry(series(3, () => 40), END, 120_000, true).yMax).toBe(50);
  });

  it('nothing to draw without points; a flat zero series sits on the baseline', () => {
    expect(chartGeometry([], END, 120_000)).toEqual({ line: '', area: '', head: '', yMax: 1 });
    const flat = subpaths(chartGeometry(series(3, () => 0), END, 120_000).line)[0];
    expect(flat.every(([, y]) => y === VIEW_H - 4)).toBe(true);
  });

  it('sampleEvery keeps the newest point and one every step before it', () => {
    const rows = sampleEvery(series(61), 15_000);
    expect(rows.map((p) => (END - p.t) / 1000)).toEqual([60, 45, 30, 15, 0]);
  });
});

describe('LiveChart', () => {
  async function render(points: ChartPoint[], format?: (v: number) => string) {
    const fixture = TestBed.createComponent(LiveChart);
    fixture.componentRef.setInput('points', points);
    fixture.componentRef.setInput('end', points.at(-1)?.t ?? END);
    fixture.componentRef.setInput('title', 'Connections');
    if (format) fixture.componentRef.setInput('format', format);
    await fixture.whenStable();
    return fixture;
  }

  it('renders a path from the samples, with a text alternative', async () => {
    const fixture = await render(series(31, (i) => 1000 + i), formatCount);
    const el = fixture.nativeElement as HTMLElement;
    const d = el.querySelector('.chart__line')!.getAttribute('d')!;
    expect(subpaths(d)[0].length).toBe(31);
    expect(el.querySelector('.chart__area')!.getAttribute('d')).toMatch(/^M.*Z$/);
    expect(el.querySelector('.chart__head-dot')!.getAttribute('d')).toMatch(/^M[\d.]+,[\d.]+Z$/);

    const svg = el.querySelector('svg')!;
    expect(svg.getAttribute('role')).toBe('img');
    expect(svg.getAttribute('aria-label')).toBe('Connections, last 2 min: now 1,030, low 1,000, high 1,030');
    expect(svg.getAttribute('data-points')).toBe('31');
    expect(el.querySelector('.chart__now')!.textContent!.trim()).toBe('1,030');

    const table = el.querySelector('table.visually-hidden')!;
    expect(table.querySelector('caption')!.textContent).toContain('Connections, every 15 seconds');
    expect(table.querySelectorAll('tbody tr').length).toBe(3); // 30 s back, 15 s back, now
    expect(table.querySelector('tbody tr:last-child td:last-child')!.textContent).toBe('1,030');
    expect(el.getAttribute('role')).toBe('figure');
    expect(el.querySelector(`#${el.getAttribute('aria-labelledby')}`)!.textContent).toBe('Connections');
  });

  it('redraws when a point comes in', async () => {
    const pts = series(3);
    const fixture = await render(pts);
    const el = fixture.nativeElement as HTMLElement;
    fixture.componentRef.setInput('points', [...pts, { t: END + 1000, v: 9 }]);
    fixture.componentRef.setInput('end', END + 1000);
    await fixture.whenStable();
    expect(subpaths(el.querySelector('.chart__line')!.getAttribute('d')!)[0].length).toBe(4);
    expect(el.querySelector('svg')!.getAttribute('aria-label')).toContain('now 9.0');
  });

  it('slides the line when a point comes in, unless the user prefers reduced motion', async () => {
    const animate = vi.fn();
    const proto = SVGElement.prototype as unknown as { animate?: unknown };
    const hadAnimate = 'animate' in proto;
    const original = proto.animate;
    const originalMatchMedia = window.matchMedia;
    let reduce = false;
    proto.animate = animate;
    window.matchMedia = ((q: string) => ({ matches: reduce && q.includes('reduce'), media: q })) as unknown as typeof matchMedia;
    try {
      const pts = series(3);
      const fixture = await render(pts);
      expect(animate).not.toHaveBeenCalled();
      fixture.componentRef.setInput('points', [...pts, { t: END + 1000, v: 1 }]);
      fixture.componentRef.setInput('end', END + 1000);
      await fixture.whenStable();
      expect(animate).toHaveBeenCalledTimes(1);
      const [frames, opts] = animate.mock.calls[0];
      expect(frames[0].transform).toMatch(/^translateX\(4\.85px\)$/);
      expect(opts).toMatchObject({ duration: 1000, easing: 'linear' });

      reduce = true;
      fixture.componentRef.setInput('points', [...pts, { t: END + 2000, v: 1 }]);
      fixture.componentRef.setInput('end', END + 2000);
      await fixture.whenStable();
      expect(animate).toHaveBeenCalledTimes(1);
    } finally {
      if (hadAnimate) proto.animate = original;
      else delete proto.animate;
      window.matchMedia = originalMatchMedia;
    }
  });

  it('says so when there is no data', async () => {
    const fixture = await render([]);
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('svg')!.getAttribute('aria-label')).toBe('Connections, last 2 min: no data yet');
    expect(el.querySelector('.chart__line')!.getAttribute('d')).toBe('');
    expect(el.querySelector('.chart__now')!.textContent!.trim()).toBe('—');
  });
});
