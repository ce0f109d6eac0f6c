/**
 * The Padding tab: the recommendation with its numbers, the length histogram with L marked, per strategy a
 * stacked bar of useful vs padded token slots and of useful vs wasted attention work, measured time per
 * strategy, and the table (CSV/Markdown export). Charts are d3 SVG (four to a few dozen marks each) and follow
 * svgChartView's theme re-read and SVG/PNG export. The numbers come from extension/report/padding-model.ts.
 */
import { axisBottom, axisLeft, scaleBand, scaleLinear, select, type Selection } from 'd3';
import { buildPaddingModel, STRATEGY_TEXT, type PaddingModel } from '../../extension/report/padding-model';
import type { PaddingAnalysis, StrategyName } from '../../extension/report/padding';
import type { ProfileReport } from '../../extension/report/schema';
import { formatCount, formatMs, formatPercent } from '../../kernels/units';
import type { ThemeColors } from '../shared/theme';
import { TAG } from '../shared/toolkit';
import { h } from './dom';
import { SVG_NS, svgRoot, type Svg } from './svg';
import type { Shell } from './shell';

function styleAxis(axis: Selection<SVGGElement, unknown, null, undefined>, t: ThemeColors): void {
  axis.selectAll('path,line').attr('stroke', t.muted);
  axis.selectAll('text').attr('fill', t.foreground).attr('font-size', t.fontSize * 0.9).attr('font-family', t.fontFamily);
}

/** Diagonal hatching: the packed bar's "a kernel without document masking would also do this" segment. */
function hatch(svg: Svg, id: string, color: string): string {
  const p = svg.append('defs').append('pattern').attr('id', id).attr('patternUnits', 'userSpaceOnUse').attr('width', 6).attr('height', 6).attr('patternTransform', 'rotate(45)');
  p.append('rect').attr('width', 6).attr('height', 6).attr('fill', color).attr('fill-opacity', 0.18);
  p.append('line').attr('x1', 0).attr('y1', 0).attr('x2', 0).attr('y2', 6).attr('stroke', color).attr('stroke-width', 3);
  return `url(#${id})`;
}

export const paddingColors = (t: ThemeColors) => ({ useful: t.blue, waste: t.red, extra: t.orange, over: t.red, bars: t.blue });

/** The length histogram: sequences per bin, L as a dashed rule, lengths beyond L shaded. */
export function renderLengthHistogram(model: PaddingModel, t: ThemeColors, width: number): SVGSVGElement {
  const hist = model.histogram;
  const height = 300;
  const M = { top: 30, right: 24, bottom: 48, left: 64 };
  const { el, svg } = svgRoot(width, height, t, `Histogram of sequence lengths; L = ${hist.maxLength} tokens; ${hist.overL} sequences longer than L`);
  const c = paddingColors(t);
  const innerW = Math.max(50, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const x = scaleLinear().domain([0, hist.xMax]).range([M.left, M.left + innerW]);
  const y = scaleLinear().domain([0, hist.maxCount]).nice().range([M.top + innerH, M.top]);
  if (hist.maxLength < hist.xMax) {
    svg.append('rect').attr('x', x(hist.maxLength)).attr('y', M.top).attr('width', x(hist.xMax) - x(hist.maxLength)).attr('height', innerH).attr('fill', c.over).attr('fill-opacity', 0.12);
  }
  const bars = svg.append('g');
  for (const b of hist.bins) {
    if (b.count === 0) continue;
    const x0 = x(b.lo);
    const w = Math.max(1, x(b.hi) - x0 - 1);
    const node = bars.append('rect').attr('x', x0).attr('y', y(b.count)).attr('width', w).attr('height', y(0) - y(b.count)).attr('fill', c.bars).attr('fill-opacity', 0.85);
    node.append('title').text(`${b.lo}–${b.hi - 1} tokens: ${b.count.toLocaleString('en-US')} sequences`);
  }
  const xAxis = svg.append('g').attr('transform', `translate(0,${M.top + innerH})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 80))));
  const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(5).tickFormat((d) => formatCount(Number(d))));
  styleAxis(xAxis, t);
  styleAxis(yAxis, t);
  // L last, over the bars, so it is never hidden behind a tall bin.
  const lx = x(hist.maxLength);
  svg.append('line').attr('x1', lx).attr('x2', lx).attr('y1', M.top - 6).attr('y2', M.top + innerH).attr('stroke', t.foreground).attr('stroke-width', 2).attr('stroke-dasharray', '6 4');
  const label = `L = ${hist.maxLength}`;
  const right = lx + 6 + label.length * t.fontSize * 0.6 < M.left + innerW;
  svg.append('text').attr('x', right ? lx + 6 : lx - 6).attr('y', M.top - 10).attr('text-anchor', right ? 'start' : 'end').attr('fill', t.foreground).attr('font-weight', 600).text(label);
  svg.append('text').attr('x', M.left + innerW / 2).attr('y', height - 8).attr('text-anchor', 'middle').attr('fill', t.foreground).text('sequence length (tokens)');
  svg.append('text').attr('transform', `translate(16,${M.top + innerH / 2}) rotate(-90)`).attr('text-anchor', 'middle').attr('fill', t.foreground).text('sequences');
  return el;
}

interface Segment {
  value: number;
  fill: string;
  stroke?: string;
  dashed?: boolean;
  name: string;
}

interface BarRow {
  strategy: StrategyName;
  segments: Segment[];
  /** Text right of the bar. */
  note: string;
}

/** Horizontal stacked bars, one per strategy; the recommended one's name in bold. */
function stackedBars(rows: BarRow[], t: ThemeColors, width: number, o: { label: string; xLabel: string; format: (v: number) => string; recommended: StrategyName; hatchColor?: string }): SVGSVGElement {
  const rowH = Math.max(26, t.fontSize * 2.2);
  const M = { top: 12, right: 16, bottom: 46, left: Math.max(80, t.fontSize * 6.5) };
  const height = M.top + rows.length * rowH + M.bottom;
  const { el, svg } = svgRoot(width, height, t, o.label);
  const fillOf = (s: Segment) => (s.fill === 'hatch' ? hatch(svg, `hatch-${Math.random().toString(36).slice(2, 8)}`, o.hatchColor ?? t.orange) : s.fill);
  // Leave room on the right for each bar's note: the longest one at about 0.6 em per character.
  const noteW = Math.min(width * 0.45, Math.max(...rows.map((r) => r.note.length)) * t.fontSize * 0.58 + 12);
  const innerW = Math.max(60, width - M.left - M.right - noteW);
  const max = Math.max(1e-12, ...rows.map((r) => r.segments.reduce((s, x) => s + x.value, 0)));
  const x = scaleLinear().domain([0, max]).nice().range([M.left, M.left + innerW]);
  const y = scaleBand<string>().domain(rows.map((r) => r.strategy)).range([M.top, M.top + rows.length * rowH]).padding(0.25);
  for (const r of rows) {
    const g = svg.append('g');
    let at = 0;
    const y0 = y(r.strategy) ?? 0;
    for (const s of r.segments) {
      if (s.value <= 0) continue;
      const rect = g
        .append('rect')
        .attr('x', x(at))
        .attr('y', y0)
        .attr('width', Math.max(1, x(at + s.value) - x(at)))
        .attr('height', y.bandwidth())
        .attr('fill', fillOf(s));
      if (s.stroke) rect.attr('stroke', s.stroke).attr('stroke-width', 1.5).attr('stroke-dasharray', s.dashed ? '4 3' : null);
      rect.append('title').text(`${r.strategy} · ${s.name}: ${o.format(s.value)}`);
      at += s.value;
    }
    g.append('text').attr('x', x(at) + 6).attr('y', y0 + y.bandwidth() / 2).attr('dominant-baseline', 'middle').attr('fill', t.foreground).text(r.note);
  }
  const xAxis = svg.append('g').attr('transform', `translate(0,${M.top + rows.length * rowH})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 90))).tickFormat((d) => o.format(Number(d))));
  const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).tickSize(0));
  styleAxis(xAxis, t);
  styleAxis(yAxis, t);
  yAxis.select('.domain').attr('stroke', t.muted);
  yAxis.selectAll<SVGTextElement, string>('text').attr('font-weight', (d) => (d === o.recommended ? 700 : 400)).attr('font-size', t.fontSize);
  // Centred under the bars unless the plot is narrower than the label (200 % zoom): then it starts at the axis.
  const fits = o.xLabel.length * t.fontSize * 0.55 < innerW;
  svg.append('text').attr('x', fits ? M.left + innerW / 2 : 4).attr('y', height - 8).attr('text-anchor', fits ? 'middle' : 'start').attr('fill', t.foreground).text(o.xLabel);
  return el;
}

export function renderTokenBars(model: PaddingModel, t: ThemeColors, width: number): SVGSVGElement {
  const c = paddingColors(t);
  return stackedBars(
    model.tokens.map((b) => ({
      strategy: b.strategy,
      segments: [
        { value: b.useful, fill: c.useful, name: 'useful tokens' },
        { value: b.padded, fill: c.waste, name: 'padding' },
      ],
      note: `${formatPercent(b.efficiency)} useful · ${formatCount(b.padded)} padded`,
    })),
    t,
    width,
    { label: 'Token slots per strategy: useful tokens and padding', xLabel: 'token slots processed (tokens)', format: formatCount, recommended: model.headline.strategy },
  );
}

export function renderWorkBars(model: PaddingModel, t: ThemeColors, width: number): SVGSVGElement {
  const c = paddingColors(t);
  return stackedBars(
    model.work.map((b) => ({
      strategy: b.strategy,
      segments: [
        { value: b.useful, fill: c.useful, name: 'useful attention work' },
        { value: b.wasted, fill: c.waste, name: 'work on padding' },
        { value: b.unmaskedExtra, fill: 'hatch', stroke: c.extra, dashed: true, name: 'extra work of a kernel without document masking' },
      ],
      note:
        b.strategy === 'packed'
          ? `${formatPercent(b.efficiency)} useful (masked) · unmasked +${formatCount(b.unmaskedExtra)}`
          : `${formatPercent(b.efficiency)} useful · ${formatCount(b.wasted)} wasted`,
    })),
    t,
    width,
    {
      label: 'Attention work per strategy: useful pairs, pairs spent on padding, and for packed the extra of an unmasked kernel',
      xLabel: '(query, key) pairs per head per layer',
      format: formatCount,
      recommended: model.headline.strategy,
      hatchColor: c.extra,
    },
  );
}

export function renderTimeBars(model: PaddingModel, t: ThemeColors, width: number): SVGSVGElement {
  const c = paddingColors(t);
  const time = model.time ?? [];
  // Whole-dataset times on a software adapter run to minutes: an axis of "160k" ms reads worse than "160 s".
  const seconds = Math.max(0, ...time.map((b) => b.unmaskedMs ?? b.ms)) >= 10_000;
  return stackedBars(
    time.map((b) => ({
      strategy: b.strategy,
      segments: [
        { value: b.ms, fill: b.correct ? c.useful : t.error, name: 'measured (extrapolated)' },
        { value: b.unmaskedMs !== undefined ? Math.max(0, b.unmaskedMs - b.ms) : 0, fill: 'hatch', stroke: c.extra, dashed: true, name: 'more without document masking' },
      ],
      note: `${formatMs(b.ms)}${b.unmaskedMs !== undefined ? ` (unmasked ${formatMs(b.unmaskedMs)})` : ''} · ${b.sampled} of ${b.batches} batches timed${b.correct ? '' : ' · WRONG'}`,
    })),
    t,
    width,
    {
      label: 'Measured time per strategy, extrapolated from sampled batches',
      xLabel: `flash time for the whole dataset (${seconds ? 's' : 'ms'} per layer, forward)`,
      format: (v) => formatCount(seconds ? v / 1000 : v),
      recommended: model.headline.strategy,
      hatchColor: c.extra,
    },
  );
}

function swatch(kind: 'rect' | 'hatch' | 'dash' | 'shade', color: string): SVGSVGElement {
  const sw = document.createElementNS(SVG_NS, 'svg');
  const s = select(sw).attr('width', 22).attr('height', 12).attr('aria-hidden', 'true');
  if (kind === 'dash') s.append('line').attr('x1', 0).attr('x2', 22).attr('y1', 6).attr('y2', 6).attr('stroke', color).attr('stroke-width', 2).attr('stroke-dasharray', '6 4');
  else if (kind === 'hatch') {
    s.append('rect').attr('x', 1).attr('y', 1).attr('width', 20).attr('height', 10).attr('fill', 'none').attr('stroke', color).attr('stroke-dasharray', '4 3');
    for (const x0 of [4, 10, 16]) s.append('line').attr('x1', x0).attr('y1', 11).attr('x2', x0 + 5).attr('y2', 1).attr('stroke', color).attr('stroke-width', 2);
  } else s.append('rect').attr('width', 22).attr('height', 12).attr('fill', color).attr('fill-opacity', kind === 'shade' ? 0.25 : 0.9);
  return sw;
}

function legend(items: [Parameters<typeof swatch>[0], string, string][]): HTMLElement {
  return h('div', { class: 'legend', 'aria-label': 'Legend' }, ...items.map(([k, color, label]) => h('span', { class: 'legend-item' }, swatch(k, color), label)));
}

function recommendationCard(model: PaddingModel): HTMLElement {
  const hl = model.headline;
  const stat = (value: string, label: string) => h('div', { class: 'pad-stat' }, h('span', { class: 'pad-stat-value' }, value), h('span', { class: 'pad-stat-label' }, label));
  const stats = [
    hl.strategy === 'fixed' ? stat('1×', 'nothing beats fixed') : stat(hl.workRatio, 'less attention work than fixed'),
    ...(hl.measuredSaving !== undefined ? [stat(hl.measuredSaving, 'faster measured than fixed')] : []),
    stat(hl.tokenEfficiency, `of token slots useful (fixed ${hl.fixedTokenEfficiency})`),
  ];
  return h(
    'section',
    { class: 'pad-recommendation', 'aria-label': 'Recommendation', tabindex: 0 },
    h('div', { class: 'pad-rec-title' }, 'Recommended: ', h('strong', {}, hl.strategy), h('span', { class: 'pad-rec-what' }, ` — ${STRATEGY_TEXT[hl.strategy]}`)),
    h('div', { class: 'pad-stats' }, ...stats),
    h('p', { class: 'pad-rec-text' }, hl.text),
  );
}

function paddingTable(model: PaddingModel): HTMLElement {
  const t = model.table;
  return h(
    'div',
    { class: 'table-holder', tabindex: 0, role: 'region', 'aria-label': 'Padding strategies table' },
    h(
      'table',
      { class: 'summary pad-table' },
      h('caption', { class: 'visually-hidden' }, 'Padding strategies: efficiency, batches, padding and measured time'),
      h('thead', {}, h('tr', {}, ...t.head.map((c, i) => h('th', { scope: 'col', class: i === 0 ? undefined : 'num' }, c)))),
      h(
        'tbody',
        {},
        ...t.rows.map((r) =>
          h(
            'tr',
            { class: r[0] === model.headline.strategy ? 'pad-recommended' : undefined },
            ...r.map((cell, i) => (i === 0 ? h('th', { scope: 'row', title: STRATEGY_TEXT[cell as StrategyName] }, cell) : h('td', { class: cell.endsWith('WRONG') ? 'num wrong' : 'num' }, cell))),
          ),
        ),
      ),
    ),
  );
}

export function renderPaddingView(
  shell: Shell,
  report: ProfileReport,
  analysis: PaddingAnalysis,
  chartView: (chart: 'padding-lengths' | 'padding-tokens' | 'padding-work' | 'padding-time', build: (t: ThemeColors, width: number) => { svg: SVGSVGElement; legend?: HTMLElement }, notes?: string[]) => HTMLElement,
  toolbar: HTMLElement,
): HTMLElement {
  const model = buildPaddingModel(analysis);
  const facts = h('dl', { class: 'facts' }, ...model.facts.map((f) => h('div', { class: 'fact' }, h('dt', {}, f.label), h('dd', {}, f.value))));
  const hist = chartView(
    'padding-lengths',
    (t, width) => ({
      svg: renderLengthHistogram(model, t, width),
      legend: legend([
        ['rect', paddingColors(t).bars, `sequences per bin (${model.histogram.bins[0] ? model.histogram.bins[0].hi - model.histogram.bins[0].lo : 1} tokens wide)`],
        ['dash', t.foreground, `L = ${model.histogram.maxLength} (max length)`],
        ...(model.histogram.xMax > model.histogram.maxLength ? [['shade', paddingColors(t).over, 'longer than L: truncated (packed splits)'] as [Parameters<typeof swatch>[0], string, string]] : []),
      ]),
    }),
  );
  const tokenLegend = (t: ThemeColors) => legend([
    ['rect', paddingColors(t).useful, 'useful'],
    ['rect', paddingColors(t).waste, 'padding'],
  ]);
  const tokens = chartView('padding-tokens', (t, width) => ({ svg: renderTokenBars(model, t, width), legend: tokenLegend(t) }));
  const work = chartView(
    'padding-work',
    (t, width) => ({
      svg: renderWorkBars(model, t, width),
      legend: legend([
        ['rect', paddingColors(t).useful, 'useful'],
        ['rect', paddingColors(t).waste, 'spent on padding'],
        ['hatch', paddingColors(t).extra, 'packed: extra work of a kernel that does not skip masked blocks'],
      ]),
    }),
    [`Pairs a kernel computes for one head of one layer${analysis.causal ? ' (causal: triangles)' : ''}. Packed with document masking does only useful work; without it, every row costs L² pairs.`],
  );
  const time = model.time
    ? chartView(
        'padding-time',
        (t, width) => ({
          svg: renderTimeBars(model, t, width),
          legend: legend([
            ['rect', paddingColors(t).useful, 'flash, measured'],
            ['hatch', paddingColors(t).extra, 'packed: more without document masking'],
          ]),
        }),
        [`Sampling: ${model.timeNote ?? ''}`],
      )
    : h('p', { class: 'note' }, 'Not measured: run "Analyze Padding Efficiency…" with "Measure on the GPU" (or `attnprof padding --measure`) to time each strategy with the flash kernel.');
  const exports = h('div', { class: 'toolbar' });
  const csv = h(TAG.button, { appearance: 'secondary' }, 'Export table (CSV)');
  csv.addEventListener('click', () => shell.exportReport('padding-csv'));
  const md = h(TAG.button, { appearance: 'secondary' }, 'Export table (Markdown)');
  md.addEventListener('click', () => shell.exportReport('padding-markdown'));
  exports.append(csv, md);
  return h(
    'div',
    { class: 'padding-view' },
    toolbar,
    recommendationCard(model),
    ...model.warnings.map((w) => h('p', { class: 'note warning-text', role: 'note' }, w)),
    facts,
    h('h2', {}, 'Sequence lengths'),
    hist,
    h('h2', {}, 'Token slots per strategy'),
    tokens,
    h('h2', {}, 'Attention work per strategy'),
    work,
    h('h2', {}, 'Measured time per strategy'),
    time,
    h('h2', {}, 'Strategies'),
    paddingTable(model),
    exports,
    h('p', { class: 'note' }, `Packing: ${analysis.packingPolicy} Report: ${report.title}.`),
  );
}
