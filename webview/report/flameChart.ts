/**
 * The flame chart: the toolbar (search, reset, export), the pan-zoom canvas, its tooltip and legend, put together
 * and kept in the persisted UI state. Each concern lives in flame/: paint.ts (the model's colours and paint index),
 * viewport.ts (pan-zoom maths), panZoomView.ts (canvas, events, drawing), axis.ts, tooltip.ts, search.ts, legend.ts.
 */
import type { FlameBox, FlameModel } from '../../extension/report/flame-model';
import { TAG } from '../shared/toolkit';
import type { ThemeColors } from '../shared/theme';
import { h } from './dom';
import { defaultLegend, renderLegend, type LegendItem } from './flame/legend';
import { defaultPaint, type Paint, type PaintOf } from './flame/paint';
import { FlamePanZoomView } from './flame/panZoomView';
import { FlameSearch } from './flame/search';
import { FlameTooltip, tooltipLines } from './flame/tooltip';
import { Viewport } from './flame/viewport';

export type { Paint } from './flame/paint';

export interface FlameUiState {
  startMs: number;
  endMs: number;
  search: string;
}

export interface FlameChartOptions {
  /** How a box is filled; the default colours by kind, kernel and pass. */
  paint?: PaintOf;
  /** Extra tooltip line (the differential chart's change). */
  extraTooltip?: (box: FlameBox) => string | undefined;
  legend?: (theme: ThemeColors) => { label: string; paint: Paint }[];
  state?: Partial<FlameUiState>;
  onState?: (state: FlameUiState) => void;
  onExport?: (pngDataUrl: string) => void;
  ariaLabel: string;
}

export class FlameChart {
  readonly el: HTMLElement;
  private readonly viewport: Viewport;
  private readonly view: FlamePanZoomView;
  private readonly search: FlameSearch;
  private readonly tooltip = new FlameTooltip();
  private readonly legend: HTMLElement = h('div', { class: 'legend', 'aria-label': 'Legend' });
  private readonly paint: PaintOf;

  constructor(
    private readonly model: FlameModel,
    private theme: ThemeColors,
    private readonly options: FlameChartOptions,
  ) {
    this.paint = options.paint ?? defaultPaint(model);
    this.viewport = new Viewport(model.totalMs, options.state);
    this.search = new FlameSearch(model, () => {
      this.emitState();
      this.view.scheduleDraw();
    });
    this.view = new FlamePanZoomView(
      model,
      this.paint,
      theme,
      this.viewport,
      {
        onViewChange: () => this.emitState(),
        onHover: (box, p) => {
          if (box && p) this.tooltip.show(tooltipLines(box, model.synthetic === true, options.extraTooltip?.(box)), p.clientX, p.clientY);
          else this.tooltip.hide();
        },
        search: () => ({ active: this.search.active, matches: this.search.matches }),
      },
      options.ariaLabel,
    );
    const reset = h(TAG.button, { appearance: 'secondary', title: 'Show the whole run (Esc)' }, 'Reset zoom');
    reset.addEventListener('click', () => this.view.reset());
    const exportButton = h(TAG.button, { appearance: 'secondary', title: 'Save this view of the chart as a PNG image' }, 'Export PNG');
    exportButton.addEventListener('click', () => options.onExport?.(this.toPng()));
    const help = h('span', { class: 'help' }, 'Wheel or W/S: zoom · drag or A/D: pan · click: focus · Esc: reset');
    const wrap = h('div', { class: 'canvas-wrap' }, this.view.canvas, this.tooltip.el);
    this.el = h('div', { class: 'flame' }, h('div', { class: 'toolbar' }, this.search.field, this.search.count, reset, exportButton, help), wrap, this.legend);
    this.renderLegend();
    this.view.observe(wrap);
    if (options.state?.search) this.search.set(options.state.search);
  }

  setTheme(theme: ThemeColors): void {
    this.theme = theme;
    this.view.setTheme(theme);
    this.renderLegend();
  }

  toPng(): string {
    return this.view.toPng();
  }

  scheduleDraw(): void {
    this.view.scheduleDraw();
  }

  destroy(): void {
    this.view.destroy();
  }

  private renderLegend(): void {
    const items: LegendItem[] = this.options.legend?.(this.theme) ?? defaultLegend(this.model, this.paint, this.theme);
    renderLegend(this.legend, items);
  }

  private emitState(): void {
    this.options.onState?.({ ...this.viewport.view, search: this.search.query });
  }
}
