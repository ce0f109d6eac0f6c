/**
 * Memory timeline (d3, SVG: a few hundred allocator events, not thousands of boxes): live GPU bytes over the
 * allocator's host clock, stacked by buffer role, kernel phases as bands, the measured peak marked and each
 * kernel's analytic expectation as a dashed line across its phase. Hover lists the live buffers.
 */
import { area, axisBottom, axisLeft, curveStepAfter, scaleLinear, select, stack, type Series } from 'd3';
import type { BufferRole } from '../../extension/report/measurements';
import { mixColors } from './colors';
import { liveBuffersAt, phaseAt, type MemoryModel, type MemoryStep } from '../../extension/report/memory-model';
import { formatBytes } from '../../kernels/units';
import type { ThemeColors } from '../shared/theme';
import { h } from './dom';
import { SVG_NS, svgRoot } from './svg';
import { placeTooltip } from './tooltip';

const M = { top: 28, right: 24, bottom: 46, left: 70 };

const ROLE_LABELS: Partial<Record<BufferRole, string>> = {
  input: 'input (Q, K, V, key lengths)',
  output: 'output (O)',
  scores: 'scores (S, naive; dS in training)',
  scratch: 'scratch',
  staging: 'staging (read-back)',
  params: 'params',
  saved: 'saved for backward (naive P; flash LSE)',
  gradient: 'gradients (dO in; dQ, dK, dV out)',
};

export function roleColor(role: BufferRole, t: ThemeColors): string {
  // Training roles mix two neighbours so they follow the theme: saved-for-backward red + purple (pink), gradients
  // between input and output (blue + green); the profiler's own buffers stay neutral.
  const map: Record<BufferRole, string> = {
    input: t.blue, output: t.green, scores: t.red, scratch: t.orange, staging: t.purple, params: t.yellow, profiler: t.neutral,
    saved: mixColors(t.red, t.purple, 0.5), gradient: mixColors(t.blue, t.green, 0.5),
  };
  return map[role];
}

/** Bytes → a binary unit for a whole axis, so tick labels are plain numbers. */
function byteUnit(maxBytes: number): [string, number] {
  if (maxBytes >= 2 ** 30) return ['GiB', 2 ** 30];
  if (maxBytes >= 2 ** 20) return ['MiB', 2 ** 20];
  if (maxBytes >= 2 ** 10) return ['KiB', 2 ** 10];
  return ['B', 1];
}

/** A kernel's correctness read-back (a staging copy of O, after timing) runs in its own phase "<kernel> · check". */
const CHECK_SUFFIX = ' · check';

/** The kernel a "<kernel> · check" phase checks; undefined for any other phase. */
export function checkedKernel(phase: string): string | undefined {
  return phase.endsWith(CHECK_SUFFIX) && phase.length > CHECK_SUFFIX.length ? phase.slice(0, -CHECK_SUFFIX.length) : undefined;
}

/** A phase as a person reads it: "flash · check" → "flash: correctness check (read-back after timing)". */
export function phaseTitle(phase: string): string {
  const k = checkedKernel(phase);
  return k ? `${k}: correctness check (read-back after timing)` : phase;
}

/** Short band labels, longest first: the first that fits the band is drawn. */
function bandLabels(phase: string): string[] {
  const k = checkedKernel(phase);
  return k ? [`${k} correctness check`, `${k} check`, 'check'] : [phase];
}

export interface PeakSource {
  phase: string;
  workload: string;
  /** The allocation that raised live memory to the peak. */
  buffer?: { label: string; role: BufferRole; bytes: number };
}

/** Which phase, and which allocation, set the measured peak (the events at the peak's instant). */
export function peakSource(model: MemoryModel): PeakSource | undefined {
  const p = model.peak;
  if (!p) return undefined;
  const at = model.events.filter((e) => e.workload === p.workload && e.atMs === p.timeMs);
  const e = [...at].reverse().find((x) => x.kind === 'alloc') ?? at[at.length - 1];
  if (!e) return undefined;
  return { phase: e.phase, workload: e.workload, ...(e.kind === 'alloc' ? { buffer: { label: e.label, role: e.role, bytes: e.bytes } } : {}) };
}

/** One line on the peak: its size, the phase and workload, and the buffer that set it. */
export function peakText(model: MemoryModel): string | undefined {
  if (!model.peak) return undefined;
  const src = peakSource(model);
  if (!src) return `measured peak ${formatBytes(model.peak.bytes)}`;
  const buffer = src.buffer ? `; set by allocating ${src.buffer.label} (${src.buffer.role}, ${formatBytes(src.buffer.bytes)})` : '';
  return `measured peak ${formatBytes(model.peak.bytes)} in ${phaseTitle(src.phase)}, ${src.workload}${buffer}`;
}

export function renderMemoryChart(model: MemoryModel, t: ThemeColors, width: number): { svg: SVGSVGElement; tooltip: HTMLElement; root: HTMLElement } {
  const height = 360;
  const { el: svgEl, svg } = svgRoot(width, height, t, `GPU memory over time; ${peakText(model) ?? 'no measured peak'}`);
  const tooltip = h('div', { class: 'tooltip', role: 'tooltip', hidden: true });
  const root = h('div', { class: 'chart-wrap' });
  root.append(svgEl, tooltip);
  if (model.steps.length === 0) {
    svg.append('text').attr('x', width / 2).attr('y', height / 2).attr('text-anchor', 'middle').attr('fill', t.muted).text('No memory events in this report.');
    return { svg: svgEl, tooltip, root };
  }
  const innerW = Math.max(50, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const end = model.endMs > 0 ? model.endMs : 1;
  const x = scaleLinear().domain([0, end]).range([M.left, M.left + innerW]);
  const [unit, div] = byteUnit(model.maxBytes);
  const y = scaleLinear().domain([0, (model.maxBytes * 1.1) / div]).nice().range([M.top + innerH, M.top]);

  // Phase bands, alternating, named at the top when the name fits.
  const bands = svg.append('g').attr('class', 'phases');
  // A correctness check's band is tinted (not the grey alternation) and labelled as such, never by its raw name.
  const labels: { x: number; text: string; check: boolean }[] = [];
  const charW = t.fontSize * 0.6;
  model.phases.forEach((p, i) => {
    const x0 = x(p.startMs);
    const w = Math.max(1, x(p.endMs) - x0);
    const check = checkedKernel(p.name) !== undefined;
    const band = bands
      .append('rect')
      .attr('x', x0)
      .attr('y', M.top)
      .attr('width', w)
      .attr('height', innerH)
      .attr('fill', check ? t.yellow : t.foreground)
      .attr('opacity', check ? 0.16 : i % 2 ? 0.1 : 0.04);
    band.append('title').text(`${phaseTitle(p.name)} · ${p.workload}: working-set peak ${formatBytes(p.peakBytes)}${p.overheadBytes ? `; profiler overhead ${formatBytes(p.overheadBytes)} apart` : ''}`);
    // Other phases are labelled when the name fits their band.
    if (!check && w > p.name.length * charW + 6) labels.push({ x: x0 + 4, text: p.name, check });
  });
  // A check is short: its label may run on over the next bands, up to the next label (or the plot's end).
  for (const p of model.phases) {
    if (checkedKernel(p.name) === undefined) continue;
    const x0 = x(p.startMs) + 4;
    const prev = labels.filter((l) => l.x <= x0).sort((a, b) => b.x - a.x)[0];
    if (prev && prev.x + prev.text.length * charW + 8 > x0) continue;
    const next = labels.filter((l) => l.x > x0).sort((a, b) => a.x - b.x)[0];
    const room = (next ? next.x - 8 : M.left + innerW) - x0;
    const text = bandLabels(p.name).find((l) => l.length * charW < room);
    if (text) labels.push({ x: x0, text, check: true });
  }
  for (const l of labels) {
    bands.append('text').attr('x', l.x).attr('y', M.top - 8).attr('fill', l.check ? t.foreground : t.muted).attr('font-style', l.check ? 'italic' : null).text(l.text);
  }

  // Stacked areas by role (step-after: a buffer's bytes hold until the next event).
  const steps: MemoryStep[] = [...model.steps, { ...model.steps[model.steps.length - 1], timeMs: end }];
  const series: Series<MemoryStep, BufferRole>[] = stack<MemoryStep, BufferRole>()
    .keys(model.roles)
    .value((d, key) => d.byRole[key] / div)(steps);
  const areaGen = area<[number, number] & { data: MemoryStep }>()
    .x((d) => x(d.data.timeMs))
    .y0((d) => y(d[0]))
    .y1((d) => y(d[1]))
    .curve(curveStepAfter);
  svg
    .append('g')
    .selectAll('path')
    .data(series)
    .join('path')
    .attr('fill', (s) => roleColor(s.key, t))
    // The profiler's own buffers sit on top, faint and dashed: present on the GPU, not part of the kernel's peak.
    .attr('fill-opacity', (s) => (s.key === 'profiler' ? 0.3 : 0.75))
    .attr('stroke', (s) => roleColor(s.key, t))
    .attr('stroke-dasharray', (s) => (s.key === 'profiler' ? '4 3' : null))
    .attr('d', (s) => areaGen(s as unknown as ([number, number] & { data: MemoryStep })[]) ?? '');

  // Analytic expectation per kernel phase: dashed, beside the measured area.
  const analytic = svg.append('g').attr('class', 'analytic');
  for (const p of model.phases) {
    if (p.analyticPeakBytes === undefined) continue;
    const yy = y(p.analyticPeakBytes / div);
    analytic.append('line').attr('x1', x(p.startMs)).attr('x2', x(p.endMs)).attr('y1', yy).attr('y2', yy).attr('stroke', t.foreground).attr('stroke-width', 2).attr('stroke-dasharray', '6 4');
  }
  // Measured peak, named by the phase that set it ("naive check" when the correctness read-back tops the kernel).
  const peakSrc = peakSource(model);
  const peakLine = peakText(model);
  let peakX: number | undefined;
  if (model.peak) {
    const px = x(model.peak.timeMs);
    const py = y(model.peak.bytes / div);
    peakX = px;
    const where = peakSrc ? (checkedKernel(peakSrc.phase) ? `${checkedKernel(peakSrc.phase)} check` : peakSrc.phase) : undefined;
    const label = `measured peak ${formatBytes(model.peak.bytes)}${where ? ` (${where})` : ''}`;
    const right = px + 8 + label.length * t.fontSize * 0.55 < M.left + innerW;
    const marker = svg.append('g').attr('class', 'peak');
    marker.append('circle').attr('cx', px).attr('cy', py).attr('r', 5).attr('fill', t.background).attr('stroke', t.error).attr('stroke-width', 2);
    marker.append('text').attr('x', right ? px + 8 : px - 8).attr('y', py - 8).attr('text-anchor', right ? 'start' : 'end').attr('fill', t.foreground).attr('font-weight', 600).text(label);
    if (peakLine) marker.append('title').text(peakLine);
  }

  // Axes with units.
  const xAxis = svg.append('g').attr('transform', `translate(0,${M.top + innerH})`).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 90))));
  const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).ticks(6));
  for (const axis of [xAxis, yAxis]) {
    axis.selectAll('path,line').attr('stroke', t.muted);
    axis.selectAll('text').attr('fill', t.foreground).attr('font-size', t.fontSize * 0.9).attr('font-family', t.fontFamily);
  }
  svg.append('text').attr('x', M.left + innerW / 2).attr('y', height - 8).attr('text-anchor', 'middle').attr('fill', t.foreground).text('host time since the allocator started (ms)');
  svg.append('text').attr('transform', `translate(16,${M.top + innerH / 2}) rotate(-90)`).attr('text-anchor', 'middle').attr('fill', t.foreground).text(`live GPU memory (${unit})`);

  // Hover: a rule and the live buffers.
  const rule = svg.append('line').attr('y1', M.top).attr('y2', M.top + innerH).attr('stroke', t.focus).attr('stroke-width', 1).attr('visibility', 'hidden');
  svg
    .append('rect')
    .attr('x', M.left)
    .attr('y', M.top)
    .attr('width', innerW)
    .attr('height', innerH)
    .attr('fill', 'transparent')
    .on('pointermove', (e: PointerEvent) => {
      const mx = e.offsetX;
      const tm = x.invert(mx);
      rule.attr('x1', mx).attr('x2', mx).attr('visibility', 'visible');
      const live = liveBuffersAt(model, tm);
      const phase = phaseAt(model, tm);
      const total = live.reduce((s, b) => s + b.bytes, 0);
      const rows = live.slice(0, 14).map((b) => h('tr', {}, h('td', {}, b.label), h('td', {}, b.role), h('td', { class: 'num' }, formatBytes(b.bytes))));
      // Near the peak marker the tooltip says first what set the peak (the overlay covers the marker's own title).
      const nearPeak = peakX !== undefined && peakLine !== undefined && Math.abs(mx - peakX) <= 8;
      tooltip.replaceChildren(
        nearPeak ? h('div', { class: 'peak-source' }, h('strong', {}, peakLine.replace(/^measured peak/, 'Measured peak'))) : '',
        // The axis is in ms: so is the tooltip (formatMs would switch to s past 1000 ms).
        h('div', {}, h('strong', {}, `${Number(tm.toPrecision(4)).toLocaleString('en-US')} ms · ${formatBytes(total)} live`)),
        phase ? h('div', {}, `phase ${phaseTitle(phase.name)} (${phase.workload})${phase.analyticPeakBytes !== undefined ? `, analytic ${formatBytes(phase.analyticPeakBytes)}` : ''}`) : '',
        h('table', { class: 'mini' }, ...rows),
        live.length > 14 ? h('div', {}, `… and ${live.length - 14} more`) : '',
      );
      tooltip.hidden = false;
      placeTooltip(tooltip, e.clientX, e.clientY);
    })
    .on('pointerleave', () => {
      rule.attr('visibility', 'hidden');
      tooltip.hidden = true;
    });
  return { svg: svgEl, tooltip, root };
}

/** The legend as HTML (wraps at 200 % zoom, read by screen readers). */
export function memoryLegend(model: MemoryModel, t: ThemeColors): HTMLElement {
  const item = (swatchClass: string, color: string, label: string) => {
    const sw = document.createElementNS(SVG_NS, 'svg');
    const s = select(sw).attr('width', 22).attr('height', 12).attr('aria-hidden', 'true');
    if (swatchClass === 'overhead') s.append('rect').attr('x', 1).attr('y', 1).attr('width', 20).attr('height', 10).attr('fill', color).attr('fill-opacity', 0.3).attr('stroke', color).attr('stroke-dasharray', '4 3');
    else if (swatchClass === 'dash') s.append('line').attr('x1', 0).attr('x2', 22).attr('y1', 6).attr('y2', 6).attr('stroke', color).attr('stroke-width', 2).attr('stroke-dasharray', '6 4');
    else if (swatchClass === 'dot') s.append('circle').attr('cx', 11).attr('cy', 6).attr('r', 4).attr('fill', 'none').attr('stroke', color).attr('stroke-width', 2);
    else if (swatchClass === 'band') s.append('rect').attr('width', 22).attr('height', 12).attr('fill', color).attr('fill-opacity', 0.35);
    else s.append('rect').attr('width', 22).attr('height', 12).attr('fill', color).attr('fill-opacity', 0.75);
    return h('span', { class: 'legend-item' }, sw, label);
  };
  return h(
    'div',
    { class: 'legend', 'aria-label': 'Legend' },
    ...model.roles.map((r) =>
      r === 'profiler'
        ? item('overhead', roleColor(r, t), `profiler overhead: rotating input copies, timestamp and read-back buffers (up to ${formatBytes(model.overheadPeakBytes)}; not in the peak)`)
        : item('rect', roleColor(r, t), ROLE_LABELS[r] ?? r),
    ),
    item('band', t.foreground, 'phase: setup, a kernel, teardown (hover a band for its peak)'),
    item('dash', t.foreground, 'analytic working set (per kernel)'),
    ...(model.phases.some((p) => checkedKernel(p.name) !== undefined) ? [item('band', t.yellow, 'correctness check: read-back of O after timing (not in the kernel\'s peak)')] : []),
    item('dot', t.error, 'measured peak of the working set'),
  );
}
