/** Roofline (d3, SVG, log–log): each kernel a labelled point against the measured ceilings, when present. */
import { axisBottom, axisLeft, scaleLog, select } from 'd3';
import { roofAt, type RooflineModel } from '../../extension/report/roofline-model';
import { formatPercent, formatRate } from '../../kernels/units';
import type { ThemeColors } from '../shared/theme';
import { kernelColor } from './colors';
import { h } from './dom';
import { SVG_NS, svgRoot } from './svg';

const M = { top: 24, right: 30, bottom: 48, left: 72 };

/** A FLOP/s unit for an axis whose largest value is `maxTflops` TFLOP/s, and the factor from TFLOP/s to it. */
export function rateUnit(maxTflops: number): [string, number] {
  if (maxTflops >= 1) return ['TFLOP/s', 1];
  if (maxTflops >= 1e-3) return ['GFLOP/s', 1e3];
  return ['MFLOP/s', 1e6];
}

export function renderRoofline(model: RooflineModel, t: ThemeColors, width: number): SVGSVGElement {
  const height = 380;
  const { el: svgEl, svg } = svgRoot(width, height, t, 'Roofline: achieved FLOP/s against arithmetic intensity');
  // One FLOP/s unit for the axis, the roofs and the tooltips (a software adapter reads in GFLOP/s).
  const [yUnit, yFactor] = rateUnit(model.yDomain[1]);
  const flopsText = (tflops: number) => `${formatRate(tflops * yFactor)} ${yUnit}`;
  const innerW = Math.max(50, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const x = scaleLog().domain(model.xDomain).range([M.left, M.left + innerW]);
  const y = scaleLog().domain(model.yDomain).range([M.top + innerH, M.top]);

  // Decade grid.
  const grid = svg.append('g').attr('stroke', t.border).attr('stroke-opacity', 0.5);
  for (const v of x.ticks()) if (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) grid.append('line').attr('x1', x(v)).attr('x2', x(v)).attr('y1', M.top).attr('y2', M.top + innerH);
  for (const v of y.ticks()) if (Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9) grid.append('line').attr('y1', y(v)).attr('y2', y(v)).attr('x1', M.left).attr('x2', M.left + innerW);

  const c = model.ceilings;
  if (c && model.ridge) {
    // The roof: bandwidth slope up to the ridge, then flat at the compute ceiling.
    const [x0, x1] = model.xDomain;
    const pts: [number, number][] = [
      [x0, roofAt(c, x0)],
      [model.ridge, c.computeTflops],
      [x1, c.computeTflops],
    ];
    const clipped = pts.map(([a, b]) => [x(a), y(Math.max(b, model.yDomain[0]))] as const);
    svg.append('polyline').attr('points', clipped.map((p) => p.join(',')).join(' ')).attr('fill', 'none').attr('stroke', t.foreground).attr('stroke-width', 2);
    svg.append('text').attr('x', M.left + innerW - 4).attr('y', y(c.computeTflops) - 6).attr('text-anchor', 'end').attr('fill', t.foreground).text(`compute ${flopsText(c.computeTflops)} (FP32 peak)`);
    if (c.matmulTflops && c.matmulTflops < c.computeTflops) {
      // What a tiled WGSL matmul attains on this adapter: a practical roof below the FMA peak.
      const mx = (c.matmulTflops * 1000) / c.bandwidthGBps;
      svg.append('line').attr('x1', x(Math.max(mx, x0))).attr('x2', x(x1)).attr('y1', y(c.matmulTflops)).attr('y2', y(c.matmulTflops))
        .attr('stroke', t.muted).attr('stroke-width', 1.5).attr('stroke-dasharray', '6 4');
      // Labelled at the line's left end, above it: kernel points sit at high intensity, on the right.
      svg.append('text').attr('x', x(Math.max(mx, x0)) + 6).attr('y', y(c.matmulTflops) - 5).attr('text-anchor', 'start').attr('fill', t.muted)
        .attr('stroke', t.background).attr('stroke-width', 4).attr('stroke-linejoin', 'round').attr('paint-order', 'stroke')
        .text(`WGSL matmul ${flopsText(c.matmulTflops)} (attained)`);
    }
    // The bandwidth label runs along the slope, just above it (rotated by the line's on-screen angle) and with a
    // halo of the background, so the line never strikes it through; it stays left of the ridge.
    const memLabel = `memory ${formatRate(c.bandwidthGBps)} GB/s`;
    const labelW = memLabel.length * t.fontSize * 0.6;
    const slopeEnd = x(Math.min(model.ridge, x1));
    const preferred = x(Math.max(x0 * 1.5, model.ridge / 30));
    const sx = Math.max(x(x0) + 6, Math.min(preferred, slopeEnd - labelW * 1.1 - 6));
    const lx = x.invert(sx);
    const ex = x.invert(Math.min(slopeEnd, sx + 40));
    const angle = (Math.atan2(y(roofAt(c, ex)) - y(roofAt(c, lx)), x(ex) - sx) * 180) / Math.PI;
    svg
      .append('text')
      .attr('transform', `translate(${sx},${y(Math.max(roofAt(c, lx), model.yDomain[0]))}) rotate(${Number.isFinite(angle) ? angle.toFixed(2) : 0})`)
      .attr('y', -6)
      .attr('fill', t.foreground)
      .attr('stroke', t.background)
      .attr('stroke-width', 4)
      .attr('stroke-linejoin', 'round')
      .attr('paint-order', 'stroke')
      .text(memLabel);
  } else {
    svg.append('text').attr('x', M.left + innerW / 2).attr('y', M.top + 18).attr('text-anchor', 'middle').attr('fill', t.muted).text('ceilings not measured (run `attnprof ceilings`): points only');
  }

  const kernels = [...new Set(model.points.map((p) => p.kernel))];
  const g = svg.append('g');
  for (const p of model.points) {
    const px = x(p.intensity);
    const py = y(p.tflops);
    const color = kernelColor(p.kernel, kernels, t);
    const node = g.append('g');
    node.append('circle').attr('cx', px).attr('cy', py).attr('r', 6).attr('fill', color).attr('stroke', t.background).attr('stroke-width', 1.5);
    node.append('title').text(`${p.kernel} · ${p.workload}: ${p.intensity.toFixed(1)} FLOP/B, ${flopsText(p.tflops)}${p.ofRoof !== undefined ? `, ${formatPercent(p.ofRoof, 1)} of the roof` : ''}`);
  }
  // Labels: one per point, never over another label, a point or an axis (coinciding points — Gemma's identical local
  // and global layers — would otherwise stack their labels onto the x axis).
  const plot = { x0: M.left + 2, y0: M.top + 2, x1: M.left + innerW - 2, y1: M.top + innerH - 2 };
  const pointBoxes = model.points.map((p) => ({ x0: x(p.intensity) - 7, y0: y(p.tflops) - 7, x1: x(p.intensity) + 7, y1: y(p.tflops) + 7 }));
  const labels = model.points.map((p) => ({ p, text: `${p.kernel}${model.points.length > kernels.length ? ` · ${p.workload}` : ''}` }));
  const boxes = placeLabels(
    labels.map(({ p, text }) => ({ x: x(p.intensity), y: y(p.tflops), width: text.length * t.fontSize * 0.6, height: t.fontSize + 2 })),
    pointBoxes,
    plot,
  );
  labels.forEach(({ text }, i) => {
    const b = boxes[i];
    g.append('text').attr('class', 'point-label').attr('x', b.x0).attr('y', b.y1 - 3).attr('fill', t.foreground)
      .attr('stroke', t.background).attr('stroke-width', 3).attr('stroke-linejoin', 'round').attr('paint-order', 'stroke').text(text);
  });

  // Label 1, 2 and 5 of each decade: a log axis spanning one decade would otherwise show two numbers.
  const fmtTick = (v: number) => {
    const lead = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    return lead === 1 || lead === 2 || lead === 5 ? String(Number(v.toPrecision(3))) : '';
  };
  // The y unit follows the data (a software adapter reaches GFLOP/s, not TFLOP/s): ticks never read 0.00001.
  const xAxis = svg.append('g').attr('transform', `translate(0,${M.top + innerH})`).call(axisBottom(x).tickFormat((d) => fmtTick(Number(d))));
  const yAxis = svg.append('g').attr('transform', `translate(${M.left},0)`).call(axisLeft(y).tickFormat((d) => fmtTick(Number(d) * yFactor)));
  for (const axis of [xAxis, yAxis]) {
    axis.selectAll('path,line').attr('stroke', t.muted);
    axis.selectAll('text').attr('fill', t.foreground).attr('font-size', t.fontSize * 0.9).attr('font-family', t.fontFamily);
  }
  svg.append('text').attr('x', M.left + innerW / 2).attr('y', height - 8).attr('text-anchor', 'middle').attr('fill', t.foreground).text('arithmetic intensity (FLOP/byte, minimum traffic)');
  svg.append('text').attr('transform', `translate(18,${M.top + innerH / 2}) rotate(-90)`).attr('text-anchor', 'middle').attr('fill', t.foreground).text(`achieved ${yUnit}`);
  return svgEl;
}

export interface LabelBox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const overlaps = (a: LabelBox, b: LabelBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/**
 * A box per label beside its anchor point: the first of several positions (right, left, above, below, then further
 * out) that stays inside `plot` and overlaps no placed label and no point; the least bad one when none is free.
 */
export function placeLabels(labels: { x: number; y: number; width: number; height: number }[], points: LabelBox[], plot: LabelBox): LabelBox[] {
  const placed: LabelBox[] = [];
  for (const l of labels) {
    const candidates: LabelBox[] = [];
    for (const step of [0, 1, 2, 3, 4]) {
      const d = step * (l.height + 2);
      candidates.push(
        { x0: l.x + 9, y0: l.y - l.height / 2 + d, x1: l.x + 9 + l.width, y1: l.y + l.height / 2 + d },
        { x0: l.x - 9 - l.width, y0: l.y - l.height / 2 + d, x1: l.x - 9, y1: l.y + l.height / 2 + d },
        { x0: l.x + 9, y0: l.y - l.height / 2 - d, x1: l.x + 9 + l.width, y1: l.y + l.height / 2 - d },
        { x0: l.x - 9 - l.width, y0: l.y - l.height / 2 - d, x1: l.x - 9, y1: l.y + l.height / 2 - d },
        { x0: l.x - l.width / 2, y0: l.y - 10 - l.height - d, x1: l.x + l.width / 2, y1: l.y - 10 - d },
        { x0: l.x - l.width / 2, y0: l.y + 10 + d, x1: l.x + l.width / 2, y1: l.y + 10 + l.height + d },
      );
    }
    const inside = (b: LabelBox) => b.x0 >= plot.x0 && b.x1 <= plot.x1 && b.y0 >= plot.y0 && b.y1 <= plot.y1;
    const cost = (b: LabelBox) => (inside(b) ? 0 : 100) + 10 * placed.filter((p) => overlaps(p, b)).length + points.filter((p) => overlaps(p, b)).length;
    let best = candidates[0];
    let bestCost = Infinity;
    for (const c of candidates) {
      const k = cost(c);
      if (k < bestCost) [best, bestCost] = [c, k];
      if (k === 0) break;
    }
    placed.push(best);
  }
  return placed;
}

export function rooflineLegend(model: RooflineModel, t: ThemeColors): HTMLElement {
  const kernels = [...new Set(model.points.map((p) => p.kernel))];
  const c = model.ceilings;
  return h(
    'div',
    { class: 'legend' },
    ...kernels.map((k) => {
      const sw = document.createElementNS(SVG_NS, 'svg');
      select(sw).attr('width', 12).attr('height', 12).attr('aria-hidden', 'true').append('circle').attr('cx', 6).attr('cy', 6).attr('r', 5).attr('fill', kernelColor(k, kernels, t));
      return h('span', { class: 'legend-item' }, sw, k);
    }),
    c ? h('span', { class: 'legend-item' }, `ceilings: ${c.method || 'measured'}${c.measuredAt ? `, measured ${measuredWhen(c.measuredAt)}` : ''}`) : '',
  );
}

/** When the ceilings were measured, as the report's header writes its own date (an unreadable stamp is shown as it is). */
function measuredWhen(at: string): string {
  const t = Date.parse(at);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : at;
}
