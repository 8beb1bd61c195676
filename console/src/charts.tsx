/** ECharts, loaded only by the pages that draw charts (overview, monitoring). */
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, GaugeChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent, TitleComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { NoData } from './components.tsx';

echarts.use([LineChart, BarChart, GaugeChart, GridComponent, LegendComponent, TooltipComponent, TitleComponent, CanvasRenderer]);

/**
 * An ECharts chart that follows its option and its container's size. With `empty` set (no points
 * to draw yet) it says so instead of drawing bare axes.
 */
export function Chart({ option, height = 260, testId, empty }: { option: EChartsCoreOption; height?: number; testId?: string; empty?: string }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current);
    chart.current = c;
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(option, { notMerge: true });
  }, [option]);
  return (
    <div style={{ position: 'relative', width: '100%', height }}>
      <div ref={el} style={{ width: '100%', height, visibility: empty ? 'hidden' : 'visible' }} data-testid={testId} />
      {empty && <div style={{ position: 'absolute', inset: 0, display: 'flex', alignItems: 'center', justifyContent: 'center' }}><NoData text={empty} /></div>}
    </div>
  );
}

/**
 * Axes and legend laid out so labels never overlap: the grid makes room for the axis labels, the
 * legend scrolls on one line at the bottom, away from the axis names, and crowded labels are hidden.
 */
export const CHART_LAYOUT = {
  grid: { left: 12, right: 16, top: 36, bottom: 40, containLabel: true },
  legend: { type: 'scroll', bottom: 0 },
} as const;

export const AXIS_LABEL = { hideOverlap: true } as const;
