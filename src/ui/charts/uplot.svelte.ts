// A uPlot chart bound to a component's element: built when the element and options are there (again when the options
// change), fed new data without being rebuilt, destroyed with the component. Shared by the lab's charts.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { untrack } from 'svelte';
import { PAGE, tickLabel } from './ink';
import { theme } from '../theme/theme.svelte';

/** The window's width, as far as charts care (none is wider than 1000 px): changes below that rebuild them. */
const viewport = $state({ width: 1000 });
if (typeof window !== 'undefined') {
  const read = () => (viewport.width = Math.min(1000, window.innerWidth));
  read();
  window.addEventListener('resize', read);
}

/** What every chart of the lab shares: its size (narrowed to fit a phone), a legend, a numeric x axis. */
export function plotFrame(width: number, height: number): Pick<uPlot.Options, 'width' | 'height' | 'legend' | 'scales'> {
  // No wider than a phone's screen less the page's margins; read in a chart's options, it rebuilds the chart when the
  // window narrows or widens past it.
  const fit = Math.max(240, Math.min(width, viewport.width - 48));
  return { width: fit, height, legend: { show: true }, scales: { x: { time: false } } };
}
/**
 * An axis in the theme's greys with short tick labels (tickLabel), wide enough for them. Read inside a chart's options,
 * it makes the chart redraw when the theme changes.
 */
export function axis(): uPlot.Axis {
  const p = PAGE[theme.mode];
  return {
    stroke: p.axis,
    grid: { stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid, width: 1 },
    values: (_u, splits) => splits.map(tickLabel),
    // About 7 px a character at the axis font, plus the tick and the gap.
    size: (_u, values) => 18 + 7 * Math.max(3, ...(values ?? []).map((v) => v.length)),
  };
}

export function usePlot(el: () => HTMLElement | undefined, options: () => uPlot.Options, data: () => uPlot.AlignedData): void {
  let plot: uPlot | null = null;
  $effect(() => {
    const target = el();
    if (!target) return;
    plot = new uPlot(options(), untrack(data), target);
    return () => {
      plot?.destroy();
      plot = null;
    };
  });
  $effect(() => {
    const d = data();
    plot?.setData(d);
  });
}
