// A uPlot chart bound to a component's element: built when the element and options are there (again when the options
// change), fed new data without being rebuilt, destroyed with the component. Shared by the lab's charts.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { untrack } from 'svelte';

/** What every chart of the lab shares: its size, a legend, a numeric x axis; axes drawn in the page's greys. */
export function plotFrame(width: number, height: number): Pick<uPlot.Options, 'width' | 'height' | 'legend' | 'scales'> {
  return { width, height, legend: { show: true }, scales: { x: { time: false } } };
}
export const AXIS = { stroke: '#aaa', grid: { stroke: '#333' } };

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
