/** The flame chart's search: a field, the matching boxes (flame-model's searchBoxes) and a live match count. */
import { searchBoxes, type FlameModel } from '../../../extension/report/flame-model';
import { TAG } from '../../shared/toolkit';
import { h } from '../dom';

export function matchCountText(query: string, matches: number): string {
  return query.trim() ? `${matches} match${matches === 1 ? '' : 'es'}` : '';
}

export class FlameSearch {
  readonly field: HTMLElement & { value: string };
  readonly count: HTMLElement = h('span', { class: 'match-count', 'aria-live': 'polite' });
  private text = '';
  private hits = new Set<number>();

  constructor(
    private readonly model: FlameModel,
    onChange: () => void,
  ) {
    this.field = h(TAG.textField, { placeholder: 'Search kernels, passes, layers', 'aria-label': 'Search the flame chart', class: 'search' }) as HTMLElement & { value: string };
    this.field.addEventListener('input', () => {
      this.set(this.field.value);
      onChange();
    });
  }

  get query(): string {
    return this.text;
  }

  /** Ids of the matching boxes. */
  get matches(): ReadonlySet<number> {
    return this.hits;
  }

  /** A search is on (boxes that do not match are dimmed), even when nothing matches. */
  get active(): boolean {
    return this.hits.size > 0 || this.text.trim() !== '';
  }

  /** Sets the query (from the field, or restored state) without calling onChange. */
  set(query: string): void {
    this.text = query;
    if (this.field.value !== query) this.field.value = query;
    this.hits = searchBoxes(this.model, query);
    this.count.textContent = matchCountText(query, this.hits.size);
  }
}
