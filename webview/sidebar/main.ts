/**
 * The "Reports" side panel: runs newest first, the run in progress, open / delete / compare / export.
 * Plain DOM with VS Code's CSS variables; every user string goes in through textContent.
 */
import type { FromSidebar, RunRow, RunningRow, ToSidebar } from '../../extension/protocol/sidebar';
import { formatPercent } from '../../kernels/units';
import { hostChannel } from '../shared/vscode';

/** What survives the view being hidden and disposed: the selection, and the last list to draw at once. */
interface PersistedState {
  selected: string[];
  focusId: string | null;
  last: Extract<ToSidebar, { type: 'state' }> | null;
}

// The one typed channel every webview uses (webview/shared/vscode.ts).
const vscode = hostChannel<FromSidebar>();
const root = document.getElementById('root') as HTMLElement;

function isRunRow(v: unknown): v is RunRow {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.id === 'string' &&
    typeof r.title === 'string' &&
    typeof r.adapter === 'string' &&
    typeof r.isFallback === 'boolean' &&
    typeof r.createdAt === 'string' &&
    typeof r.shape === 'string' &&
    typeof r.best === 'string' &&
    Array.isArray(r.broken) &&
    r.broken.every((b) => typeof b === 'string')
  );
}

function isRunning(v: unknown): v is RunningRow {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r.title === 'string' && typeof r.message === 'string' && typeof r.fraction === 'number';
}

function isToSidebar(v: unknown): v is ToSidebar {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return m.type === 'state' && Array.isArray(m.runs) && m.runs.every(isRunRow) && (m.running === null || isRunning(m.running)) && typeof m.loaded === 'boolean';
}

function restore(): PersistedState {
  const s = vscode.getState() as Partial<PersistedState> | undefined;
  return {
    selected: Array.isArray(s?.selected) ? s.selected.filter((x): x is string => typeof x === 'string').slice(0, 2) : [],
    focusId: typeof s?.focusId === 'string' ? s.focusId : null,
    last: s?.last && isToSidebar(s.last) ? s.last : null,
  };
}

const state = restore();
const save = () => vscode.setState(state);

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(label: string, title: string, onClick: () => void, className = 'button'): HTMLButtonElement {
  const b = el('button', className, label);
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    onClick();
  });
  return b;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

function toggleSelected(id: string): void {
  const i = state.selected.indexOf(id);
  if (i >= 0) state.selected.splice(i, 1);
  else {
    state.selected.push(id);
    // Compare takes two: the oldest pick makes room.
    if (state.selected.length > 2) state.selected.shift();
  }
  save();
  render();
}

function runningView(r: RunningRow): HTMLElement {
  const box = el('section', 'running');
  box.setAttribute('aria-label', 'Profile in progress');
  box.append(el('div', 'running-title', `Profiling ${r.title}`));
  const bar = el('progress', 'bar');
  bar.max = 1;
  bar.value = r.fraction;
  bar.setAttribute('aria-label', `${formatPercent(r.fraction)} of kernels done`);
  box.append(bar, el('div', 'running-message', r.message));
  box.append(button('Cancel', 'Cancel the running profile', () => vscode.post({ type: 'cancel' })));
  return box;
}

function runView(run: RunRow): HTMLElement {
  const li = el('li', 'run');
  li.tabIndex = 0;
  li.dataset.id = run.id;
  const selected = state.selected.includes(run.id);
  li.setAttribute('aria-selected', String(selected));
  if (selected) li.classList.add('selected');

  const check = el('input', 'pick');
  check.type = 'checkbox';
  check.checked = selected;
  check.title = 'Select for comparison (Space)';
  check.setAttribute('aria-label', `Select ${run.title} for comparison`);
  check.addEventListener('click', (e) => e.stopPropagation());
  check.addEventListener('change', () => toggleSelected(run.id));

  const body = el('div', 'run-body');
  body.append(el('div', 'run-title', run.title));
  const meta = el('div', 'run-meta');
  meta.append(el('span', 'adapter', run.adapter));
  if (run.isFallback) {
    const badge = el('span', 'badge', 'software');
    badge.title = 'A software adapter (CPU): timings are not representative of a GPU';
    meta.append(badge);
  }
  if (run.shape) meta.append(el('span', 'shape', run.shape));
  meta.append(el('span', 'date', formatDate(run.createdAt)));
  body.append(meta);
  const best = el('div', 'run-best', run.best);
  if (run.broken.length) best.append(el('span', 'warn', ` · ⚠ ${run.broken.join(', ')} failed or wrong`));
  body.append(best);

  const actions = el('div', 'actions');
  actions.append(
    button('Open', 'Open the report (Enter)', () => vscode.post({ type: 'open', id: run.id })),
    button('Export…', 'Export the report: Chrome trace, JSON, CSV or Markdown', () => vscode.post({ type: 'export', id: run.id })),
    button('Delete', 'Delete this run (Delete)', () => vscode.post({ type: 'delete', id: run.id }), 'button secondary'),
  );
  li.append(check, body, actions);
  li.addEventListener('click', () => {
    state.focusId = run.id;
    save();
  });
  li.addEventListener('dblclick', () => vscode.post({ type: 'open', id: run.id }));
  li.addEventListener('focus', () => {
    state.focusId = run.id;
    save();
  });
  li.addEventListener('keydown', (e) => onRunKey(e, run, li));
  return li;
}

function onRunKey(e: KeyboardEvent, run: RunRow, li: HTMLElement): void {
  if (e.target !== li) return;
  const move = (next: Element | null) => {
    if (next instanceof HTMLElement) next.focus();
  };
  switch (e.key) {
    case 'Enter':
      vscode.post({ type: 'open', id: run.id });
      break;
    case ' ':
      toggleSelected(run.id);
      break;
    case 'Delete':
    case 'Backspace':
      vscode.post({ type: 'delete', id: run.id });
      break;
    case 'ArrowDown':
      move(li.nextElementSibling);
      break;
    case 'ArrowUp':
      move(li.previousElementSibling);
      break;
    default:
      return;
  }
  e.preventDefault();
}

function render(): void {
  const s = state.last;
  const hadFocus = document.activeElement instanceof HTMLElement && root.contains(document.activeElement);
  root.replaceChildren();

  const toolbar = el('div', 'toolbar');
  toolbar.append(
    button('Profile Config', 'Profile the model config in the active editor', () => vscode.post({ type: 'profile', what: 'config' })),
    button('Profile Shape…', 'Profile an attention shape B,Hq,Hkv,N,D', () => vscode.post({ type: 'profile', what: 'shape' }), 'button secondary'),
  );
  root.append(toolbar);

  if (s?.running) root.append(runningView(s.running));

  const runs = s?.runs ?? [];
  // Drop selections of runs that were deleted.
  const ids = new Set(runs.map((r) => r.id));
  state.selected = state.selected.filter((id) => ids.has(id));

  if (!s || (!s.loaded && runs.length === 0)) {
    root.append(el('p', 'empty', 'Loading reports…'));
    return;
  }
  if (runs.length === 0) {
    root.append(el('p', 'empty', 'No runs yet. Open a model config (config.json, a training script) and run "Profile Open Model Config", or profile a shape.'));
    return;
  }

  const compareBar = el('div', 'compare');
  const compare = button(
    state.selected.length === 2 ? 'Compare selected' : `Select two to compare (${state.selected.length}/2)`,
    'Compare the two selected runs side by side (first selected = baseline)',
    () => {
      if (state.selected.length === 2) vscode.post({ type: 'compare', ids: [state.selected[0], state.selected[1]] });
    },
  );
  compare.disabled = state.selected.length !== 2;
  compareBar.append(compare);
  root.append(compareBar);

  const list = el('ul', 'runs');
  list.setAttribute('aria-label', 'Profile runs, newest first. Enter opens, Space selects for comparison, Delete deletes.');
  for (const r of runs) list.append(runView(r));
  root.append(list);

  if (hadFocus && state.focusId) {
    const target = Array.from(list.querySelectorAll<HTMLElement>('li.run')).find((li) => li.dataset.id === state.focusId);
    target?.focus();
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isToSidebar(event.data)) return;
  state.last = event.data;
  save();
  render();
});

render();
vscode.post({ type: 'ready' });
