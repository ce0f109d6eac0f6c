/** One report: its tabs (Summary, Flame chart, Memory, Roofline, and Padding when it has an analysis). */
import type { ProfileReport } from '../../extension/report/schema';
import type { ReportExportFormat } from '../../extension/protocol/reportView';
import { buildFlameModel } from '../../extension/report/flame-model';
import { buildMemoryModel } from '../../extension/report/memory-model';
import { buildRooflineModel } from '../../extension/report/roofline-model';
import { reportToolbar, svgChartView, tabs } from './components';
import { h } from './dom';
import { FlameChart } from './flameChart';
import { memoryLegend, renderMemoryChart } from './memoryChart';
import { renderPaddingView } from './paddingView';
import { rooflineLegend, renderRoofline } from './rooflineChart';
import type { Shell } from './shell';
import { renderRunFacts, summaryView } from './summaryView';

const PADDING_FORMATS: [ReportExportFormat, string][] = [
  ['json', 'Report (.json)'],
  ['padding-csv', 'Padding table (.csv)'],
  ['padding-markdown', 'Padding table (.md)'],
];

function paddingTab(shell: Shell, report: ProfileReport, alone: boolean) {
  const padding = report.padding;
  if (!padding) return [];
  return [
    {
      id: 'padding',
      title: 'Padding',
      render: () =>
        renderPaddingView(
          shell,
          report,
          padding,
          (chart, build, notes) => svgChartView(shell, chart, build, notes),
          // A padding-only report has no Summary tab: its toolbar lives here.
          alone ? reportToolbar(shell, undefined, PADDING_FORMATS) : h('span'),
        ),
    },
  ];
}

export function renderReport(shell: Shell, report: ProfileReport): HTMLElement {
  if (report.padding && report.workloads.length === 0) {
    // A padding analysis without kernel runs: no summary, flame, memory or roofline to show.
    return h('div', { class: 'report' }, h('h1', {}, report.title), tabs(shell, paddingTab(shell, report, true), 'padding'));
  }
  const flameModel = buildFlameModel(report);
  const memoryModel = buildMemoryModel(report);
  const rooflineModel = buildRooflineModel(report);
  const torchEngine = report.engines?.find((e) => e.id === 'pytorch' && e.torch);
  let flame: FlameChart | undefined;
  const panels = tabs(shell, [
    { id: 'summary', title: 'Summary', render: () => summaryView(shell, report) },
    {
      id: 'flame',
      title: 'Flame chart',
      render: () => {
        flame = new FlameChart(flameModel, shell.theme(), {
          ariaLabel: `Flame chart of ${report.title}: run, layers, kernels, passes over GPU time. Keys: W/S zoom, A/D pan, Esc reset.`,
          ...(shell.ui().flame ? { state: shell.ui().flame } : {}),
          onState: (s) => shell.save({ flame: s }),
          onExport: (png) => shell.exportChart('flame', 'png', png),
        });
        const chart = flame;
        shell.onTheme((t) => chart.setTheme(t));
        shell.onCleanup(() => chart.destroy());
        const desc =
          report.source.kind === 'config'
            ? 'Synthetic time axis: one median iteration of each kernel was measured per workload and is repeated for every model layer, so the axis adds up what the model would take; box widths are GPU timestamps.'
            : 'Each kernel at its median iteration; widths are GPU timestamps.';
        const torchNote = torchEngine
          ? [h('p', { class: 'note' }, `PyTorch lane: one iteration of each backend under torch.profiler (its GPU kernels, or its operators on a CPU), on ${torchEngine.label}; the summary's times are the timed iterations.`)]
          : [];
        // A kernel of several passes is drawn from its per-pass iterations (runner.ts): say so where one is drawn.
        const perPassNote = flameModel.perPass
          ? [h('p', { class: 'note' }, 'Kernels of several passes are drawn from their per-pass iterations, which have a GPU timestamp at every pass (about 2 µs each on an H200); the summary times one timestamp per iteration.')]
          : [];
        return h('div', {}, h('p', { class: 'note' }, desc), ...perPassNote, ...torchNote, chart.el, ...flameModel.warnings.slice(0, 5).map((w) => h('p', { class: 'note warning-text' }, w)));
      },
      onShow: () => flame?.scheduleDraw(),
    },
    {
      id: 'memory',
      title: 'Memory',
      render: () =>
        svgChartView(
          shell,
          'memory',
          (t, width) => {
            const { svg, root } = renderMemoryChart(memoryModel, t, width);
            return { svg, root, legend: memoryLegend(memoryModel, t) };
          },
          ['Every GPU buffer the profiler allocated (tracked allocator, host clock); a PyTorch row\'s phase is one extra call from PyTorch\'s caching-allocator history (CUDA, PyTorch ≥ 2.1). Dashed: what the analytic model expects each kernel to hold.', ...memoryModel.warnings.slice(0, 5)],
        ),
    },
    {
      id: 'roofline',
      title: 'Roofline',
      render: () =>
        svgChartView(shell, 'roofline', (t, width) => ({ svg: renderRoofline(rooflineModel, t, width), legend: rooflineLegend(rooflineModel, t) }), [
          'Intensity counts the minimum traffic (Q, K, V read once, O written once); a kernel that re-reads K/V sits lower than its point suggests.',
          ...(torchEngine ? [`The torch:* points ran on ${torchEngine.label}; the ceilings are the WebGPU adapter's (FP32, no tensor cores), so a PyTorch point can sit above them.`] : []),
        ]),
    },
    ...paddingTab(shell, report, false),
  ], report.padding ? 'padding' : undefined);
  return h('div', { class: 'report' }, h('h1', {}, report.title), renderRunFacts(report), panels);
}

