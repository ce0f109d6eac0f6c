/** Roofline (d3, SVG, log–log): each kernel a labelled point against the measured ceilings, when present. */
import { axisBottom, axisLeft, scaleLog, select } from 'd3';
import { roofAt, type RooflineModel } from '../../extension/report/roofline-model';
import type { ThemeColors } from '../shared/theme';
import { h, rate } from './dom';
import { SVG_NS, svgRoot } from './svg';

const M = { top: 24, right: 30, bottom: 48, left: 72 };

export function kernelColor(kernel: string, kernels: string[], t: ThemeColors): string {
  if (kernel === 'naive') return t.orange;
  if (kernel === 'flash') return t.green;
  return t.series[(kernels.indexOf(kernel) + 2) % t.series.length];
}

/** A FLOP/s unit for an axis whose largest value is `maxTflops` TFLOP/s, and the factor from TFLOP/s to it. */
export function rateUnit(maxTflops: number): [string, number] {
  if (maxTflops >= 1) return ['TFLOP/s', 1];
  if (maxTflops >= 1e-3) return ['GFLOP/s', 1e3];
  return ['MFLOP/s', 1e6];
}

export function renderRoofline(model: RooflineModel, t: ThemeColors, width: number): SVGSVGElement {
  const height = 380;
  const { el: svgEl, svg } = svgRoot(width, height, t, 'Roofline: achieved TFLOP/s against arithmetic intensity');
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
    svg.append('text').attr('x', M.left + innerW - 4).attr('y', y(c.computeTflops) - 6).attr('text-anchor', 'end').attr('fill', t.foreground).text(`compute ${rate(c.computeTflops)} TFLOP/s (FP32 peak)`);
    if (c.matmulTflops && c.matmulTflops < c.computeTflops) {
      // What a tiled WGSL matmul attains on this adapter: a practical roof below the FMA peak.
      const mx = (c.matmulTflops * 1000) / c.bandwidthGBps;
      svg.append('line').attr('x1', x(Math.max(mx, x0))).attr('x2', x(x1)).attr('y1', y(c.matmulTflops)).attr('y2', y(c.matmulTflops))
        .attr('stroke', t.muted).attr('stroke-width', 1.5).attr('stroke-dasharray', '6 4');
      // Labelled at the line's left end, above it: kernel points sit at high intensity, on the right.
      svg.append('text').attr('x', x(Math.max(mx, x0)) + 6).attr('y', y(c.matmulTflops) - 5).attr('text-anchor', 'start').attr('fill', t.muted)
        .attr('stroke', t.background).attr('stroke-width', 4).attr('stroke-linejoin', 'round').attr('paint-order', 'stroke')
        .text(`WGSL matmul ${rate(c.matmulTflops)} TFLOP/s (attained)`);
    }
    // The bandwidth label runs along the slope, just above it (rotated by the line's on-screen angle) and with a
    // halo of the background, so the line never strikes it through; it stays left of the ridge.
    const memLabel = `memory ${rate(c.bandwidthGBps)} GB/s`;
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
    node.append('title').text(`${p.kernel} · ${p.workload}: ${p.intensity.toFixed(1)} FLOP/B, ${rate(p.tflops)} TFLOP/s${p.ofRoof !== undefined ? `, ${(p.ofRoof * 100).toFixed(1)} % of the roof` : ''}`);
  }
  // Labels: one per point, nudged down when two would collide.
  const placed: [number, number][] = [];
  for (const p of model.points) {
    let px = x(p.intensity) + 9;
    let py = y(p.tflops) + 4;
    while (placed.some(([a, b]) => Math.abs(a - px) < 120 && Math.abs(b - py) < t.fontSize + 2)) py += t.fontSize + 2;
    const label = `${p.kernel}${model.points.length > kernels.length ? ` · ${p.workload}` : ''}`;
    const anchorEnd = px + label.length * t.fontSize * 0.55 > M.left + innerW;
    if (anchorEnd) px -= 18;
    placed.push([px, py]);
    g.append('text').attr('x', px).attr('y', py).attr('text-anchor', anchorEnd ? 'end' : 'start').attr('fill', t.foreground).text(label);
  }

  // Label 1, 2 and 5 of each decade: a log axis spanning one decade would otherwise show two numbers.
  const fmtTick = (v: number) => {
    const lead = Math.round(v / 10 ** Math.floor(Math.log10(v) + 1e-9));
    return lead === 1 || lead === 2 || lead === 5 ? String(Number(v.toPrecision(3))) : '';
  };
  // The y unit follows the data (a software adapter reaches GFLOP/s, not TFLOP/s): ticks never read 0.00001.
  const [yUnit, yFactor] = rateUnit(model.yDomain[1]);
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
    c ? h('span', { class: 'legend-item' }, `ceilings: ${c.method || 'measured'}${c.measuredAt ? `, ${c.measuredAt}` : ''}`) : '',
  );
}
