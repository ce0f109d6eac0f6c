/** Tiny DOM builder: text goes through textContent (user text never meets innerHTML); no inline styles (CSP). */
type Child = Node | string | false | null | undefined;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | number | boolean | undefined>,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Record<string, string | number | boolean | undefined>, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Record<string, string | number | boolean | undefined> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== false && c !== null && c !== undefined) el.append(c);
  return el;
}

/** A short status line under a toolbar (aria-live so screen readers hear export results). */
export function statusLine(): { el: HTMLElement; show(text: string, kind?: 'ok' | 'error'): void } {
  const el = h('span', { class: 'status', role: 'status', 'aria-live': 'polite' });
  let timer: number | undefined;
  return {
    el,
    show(text, kind = 'ok') {
      el.textContent = text;
      el.classList.toggle('error', kind === 'error');
      window.clearTimeout(timer);
      timer = window.setTimeout(() => (el.textContent = ''), 6000);
    },
  };
}
