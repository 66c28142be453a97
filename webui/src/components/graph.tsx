/**
 * The live bandwidth graph (issue 6, item 3): uPlot — a canvas chart of about 50 KB that redraws
 * 150 points in well under a millisecond, so a tick every 2 s costs the phone or Pi nothing.
 * Colours come from the stylesheet's custom properties, so dark mode is the stylesheet's business;
 * the chart is built again when the colour scheme changes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import { rate } from '../format.js';
import type { BandwidthPoint } from '../types.js';

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

function useDarkMode(): boolean {
  const query = '(prefers-color-scheme: dark)';
  const [dark, setDark] = useState(() => matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = () => setDark(m.matches);
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, []);
  return dark;
}

/** uPlot's columns: times in seconds, then one array per series. */
export function toColumns(points: readonly BandwidthPoint[]): uPlot.AlignedData {
  return [points.map((p) => p[0] / 1000), points.map((p) => p[1]), points.map((p) => p[2]), points.map((p) => p[3])];
}

const HEIGHT = 200;

export function BandwidthGraph({ points }: { points: readonly BandwidthPoint[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dark = useDarkMode();
  const latest = useRef(points);
  latest.current = points;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar('--fg-muted');
    const grid = cssVar('--border');
    const axis = { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const series = (label: string, colour: string): uPlot.Series => ({
      label,
      stroke: colour,
      width: 2,
      value: (_u, v) => (v === null || v === undefined ? '–' : rate(v)),
      points: { show: false },
    });
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: HEIGHT,
        series: [{}, series('Inbound', cssVar('--graph-in')), series('Outbound', cssVar('--graph-out')), series('Transit', cssVar('--graph-transit'))],
        axes: [axis, { ...axis, size: 70, values: (_u, ticks) => ticks.map((t) => rate(t)) }],
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1024, max * 1.1)] } },
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
      },
      toColumns(latest.current),
      el,
    );
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    plot.current?.setData(toColumns(points));
  }, [points]);

  return <div class="graph" ref={box} role="img" aria-label="Bandwidth over the last minutes: inbound, outbound and transit" />;
}
