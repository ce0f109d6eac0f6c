/** Chart tooltips, shared by the canvas flame chart and the SVG charts. */

/** Tooltips are fixed to the viewport so a short chart never clips them; flipped to stay on screen. */
export function placeTooltip(tooltip: HTMLElement, clientX: number, clientY: number): void {
  const tw = tooltip.offsetWidth;
  const th = tooltip.offsetHeight;
  const left = clientX + 14 + tw > window.innerWidth ? Math.max(0, clientX - 14 - tw) : clientX + 14;
  const top = clientY + 16 + th > window.innerHeight ? Math.max(0, clientY - 12 - th) : clientY + 16;
  tooltip.style.left = `${left}px`;
  tooltip.style.top = `${top}px`;
}
