/** The root every d3 chart of the report starts from: sized, labelled for screen readers, themed, with a background. */
import { select, type Selection } from 'd3';
import type { ThemeColors } from '../shared/theme';

export const SVG_NS = 'http://www.w3.org/2000/svg';
export type Svg = Selection<SVGSVGElement, unknown, null, undefined>;

export function svgRoot(width: number, height: number, t: ThemeColors, label: string): { el: SVGSVGElement; svg: Svg } {
  const el = document.createElementNS(SVG_NS, 'svg');
  const svg = select(el)
    .attr('xmlns', SVG_NS)
    .attr('width', width)
    .attr('height', height)
    .attr('viewBox', `0 0 ${width} ${height}`)
    .attr('role', 'img')
    .attr('aria-label', label)
    .attr('font-family', t.fontFamily)
    .attr('font-size', t.fontSize);
  // An explicit background: exported SVG/PNG files keep the theme's colours outside VS Code.
  svg.append('rect').attr('width', width).attr('height', height).attr('fill', t.background);
  return { el, svg };
}
