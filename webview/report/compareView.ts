/** A/B comparison: per-kernel ratios of median time, a differential flame chart, and both summaries. */
import { buildFlameModel } from '../../extension/report/flame-model';
import { DIFF_BUCKETS, compareReports, diffBucket, flameDiff, matchSummary, noiseHalfWidth, whyNotComparable, type CompareRow } from '../../extension/report/compare';
import type { ProfileReport } from '../../extension/report/schema';
import { formatChange, formatMs, formatPercent } from '../../kernels/units';
import type { ThemeColors } from '../shared/theme';
import { h } from './dom';
import { FlameChart, type Paint } from './flameChart';
import { tabs } from './components';
import type { Shell } from './shell';
import { summaryView } from './summaryView';
import { renderRunFacts } from './summaryView';


const span = (r: CompareRow) => (r.interval ? ` (95 %: ${r.interval[0].toFixed(3)}–${r.interval[1].toFixed(3)})` : '');

function verdictText(r: CompareRow): string {
  switch (r.verdict) {
    case 'faster':
      return `${(1 / r.ratio).toFixed(2)}× faster${span(r)}`;
    case 'slower':
      return `${r.ratio.toFixed(2)}× slower${span(r)}`;
    case 'noise':
      return `within noise (±${formatPercent(noiseHalfWidth(r.interval ?? [r.ratio, r.ratio]), 1)})`;
    case 'same':
      return 'same (within 3 %, too few samples for an interval)';
    case 'only-a':
      return 'only in A';
    case 'only-b':
      return 'only in B';
    case 'failed':
      return Number.isNaN(r.aMs) && Number.isNaN(r.bMs) ? 'not run on either side (skipped or failed)' : 'failed on one side';
  }
}

function compareTable(a: ProfileReport, b: ProfileReport): HTMLElement {
  const rows = compareReports(a, b);
  const multi = new Set(rows.map((r) => r.workload)).size > 1 || rows.some((r) => r.workloadA);
  const head = ['Kernel', ...(multi ? ['Workload'] : []), 'A median', 'B median', 'B / A', 'Change'];
  return h(
    'table',
    { class: 'summary compare' },
    h('caption', { class: 'visually-hidden' }, 'Median kernel time, A against B'),
    h('thead', {}, h('tr', {}, ...head.map((c, i) => h('th', { scope: 'col', class: i >= (multi ? 2 : 1) ? 'num' : undefined }, c)))),
    h(
      'tbody',
      {},
      ...rows.map((r) =>
        h(
          'tr',
          {},
          h('th', { scope: 'row' }, r.kernel),
          multi && h('td', {}, r.workloadA ? `${r.workloadA} ↔ ${r.workload}` : r.workload),
          h('td', { class: 'num' }, formatMs(r.aMs)),
          h('td', { class: 'num' }, formatMs(r.bMs)),
          h('td', { class: 'num' }, Number.isFinite(r.ratio) ? r.ratio.toFixed(3) : '–'),
          h('td', { class: `num ${r.verdict}` }, verdictText(r)),
        ),
      ),
    ),
  );
}

/** Seven shades: green (faster) → neutral → red (slower), by how much; unmatched boxes faint. */
function diffPaints(t: ThemeColors): Paint[] {
  return [
    { color: t.green, alpha: 1 },
    { color: t.green, alpha: 0.7 },
    { color: t.green, alpha: 0.4 },
    { color: t.neutral, alpha: 0.8 },
    { color: t.red, alpha: 0.4 },
    { color: t.red, alpha: 0.7 },
    { color: t.red, alpha: 1 },
  ];
}

/** Boxes B has and A has not: blue, never the grey of "within 3 %" (a change too small to matter). */
function notInA(t: ThemeColors): Paint {
  return { color: t.blue, alpha: 0.55 };
}

function diffLegendLabels(): string[] {
  const [b0, b1, b2, b3, b4, b5] = DIFF_BUCKETS.map((x) => Math.round(Math.abs(x) * 100));
  return [`≥ ${b0} % faster`, `${b1}–${b0} % faster`, `${b2}–${b1} % faster`, `within ${b3} %`, `${b3}–${b4} % slower`, `${b4}–${b5} % slower`, `≥ ${b5} % slower`];
}

function header(label: string, r: ProfileReport): HTMLElement {
  return h('section', { class: 'side' }, h('h2', {}, `${label}: ${r.title}`), renderRunFacts(r));
}

export function renderCompare(shell: Shell, a: ProfileReport, b: ProfileReport): HTMLElement {
  const refused = whyNotComparable(a, b);
  if (refused) return h('div', { class: 'report compare-report' }, h('h1', {}, 'A/B comparison'), h('p', { class: 'banner warning', role: 'alert' }, refused));
  const fa = buildFlameModel(a);
  const fb = buildFlameModel(b);
  const change = flameDiff(fa, fb);
  let chart: FlameChart | undefined;
  const panels = tabs(shell, [
    {
      id: 'compare',
      title: 'Comparison',
      render: () =>
        h(
          'div',
          {},
          h('p', { class: 'note' }, `B / A below 1: B is faster. A change counts only when the 95 % bootstrap interval of the ratio of medians (from each run's iterations) leaves 1; else it reads "within noise". ${matchSummary(compareReports(a, b))}`),
          compareTable(a, b),
        ),
    },
    {
      id: 'diff',
      title: 'Differential flame',
      render: () => {
        chart = new FlameChart(fb, shell.theme(), {
          ariaLabel: 'Differential flame chart: B’s timeline coloured by change against A',
          paint: (box, t) => {
            const i = diffBucket(change[box.id]);
            return i < 0 ? notInA(t) : diffPaints(t)[i];
          },
          legend: (t) => [...diffLegendLabels().map((label, i) => ({ label, paint: diffPaints(t)[i] })), { label: 'not in A (new in B)', paint: notInA(t) }],
          extraTooltip: (box) => (Number.isFinite(change[box.id]) ? `A → B: ${formatChange(change[box.id])}` : 'not in A'),
          ...(shell.ui().diff ? { state: shell.ui().diff } : {}),
          onState: (s) => shell.save({ diff: s }),
          onExport: (png) => shell.exportChart('diff-flame', 'png', png),
        });
        const c = chart;
        shell.onTheme((t) => c.setTheme(t));
        shell.onCleanup(() => c.destroy());
        return h('div', {}, h('p', { class: 'note' }, 'B’s timeline; each box coloured by how its duration changed from the same box in A.'), c.el);
      },
      onShow: () => chart?.scheduleDraw(),
    },
    { id: 'a', title: 'A summary', render: () => summaryView(shell, a, 'sort', 'a') },
    { id: 'b', title: 'B summary', render: () => summaryView(shell, b, 'sortB', 'b') },
  ]);
  return h('div', { class: 'report compare-report' }, h('h1', {}, 'A/B comparison'), h('div', { class: 'sides' }, header('A', a), header('B', b)), panels);
}
