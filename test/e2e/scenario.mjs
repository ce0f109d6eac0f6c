// The end-to-end scenario: a person opens examples/ in VS Code (code-server), looks at a model config, profiles it
// from the command palette, reads the report (summary, flame chart, memory, roofline), finds the run in the side
// panel and exports a Chrome trace. Every step asserts what would break if the feature broke, and saves a screenshot.
//
// Run by test/e2e/run.sh, which starts code-server and passes:
//   E2E_URL        the workbench URL (workspace folder opened)
//   E2E_WORKSPACE  the workspace folder on disk (a copy of examples/)
//   E2E_OUT        where screenshots and the summary go (test-output/e2e)
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const URL = process.env.E2E_URL;
const WS = process.env.E2E_WORKSPACE;
const OUT = process.env.E2E_OUT ?? 'test-output/e2e';
/** The code-server user-data dir: the settings edited through the UI are read back from its User/settings.json. */
const USER_DATA = process.env.E2E_USER_DATA;
assert.ok(URL && WS, 'E2E_URL and E2E_WORKSPACE must be set (run test/e2e/run.sh)');
mkdirSync(OUT, { recursive: true });

const SEC = 1000;
/**
 * Every wait is for an event (a selector, a frame's text, a file), bounded by these limits. They are sized for a
 * machine at least twice as slow as CI's 2 busy cores (lavapipe runs the kernels on those cores too), and a broken
 * feature still fails within minutes. ATTNPROF_E2E_SLOWDOWN (default 1) multiplies them all for slower machines.
 */
const SLOW = Math.max(1, Number(process.env.ATTNPROF_E2E_SLOWDOWN ?? 1) || 1);
const T = {
  load: 180 * SEC * SLOW,
  codeLens: 240 * SEC * SLOW,
  profile: Number(process.env.ATTNPROF_E2E_PROFILE_TIMEOUT_S ?? 900) * SEC * SLOW,
  view: 60 * SEC * SLOW,
  measuredLens: 120 * SEC * SLOW,
  export: 120 * SEC * SLOW,
  /** A quick input, a dialog, a tab: the workbench's own UI. */
  ui: 30 * SEC * SLOW,
  /** Quick open's file search (ripgrep in the search process) on a busy machine. */
  search: 60 * SEC * SLOW,
};
/** "4.00 MiB" → bytes (NaN when the text holds no size). */
const toBytes = (t) => {
  const m = /([\d.,]+)\s?(B|KiB|MiB|GiB)\b/.exec(t ?? '');
  return m ? Number(m[1].replace(/,/g, '')) * { B: 1, KiB: 1024, MiB: 2 ** 20, GiB: 2 ** 30 }[m[2]] : Number.NaN;
};
const pct = (x) => `${(100 * x).toFixed(1)} %`;
const TIME_RE = /\d+(\.\d+)?\s?(ms|µs|μs|us|ns|s)\b/;

const t0 = Date.now();
const log = (m) => console.log(`e2e [${((Date.now() - t0) / 1000).toFixed(0)}s] ${m}`);
/** Only `until` pauses, between two looks at the condition it waits for: no step waits a fixed time. */
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

let shotNo = 0;
/**
 * Screenshot of the whole window as test-output/e2e/NN-name.png, once the page has painted what the step just
 * changed (two animation frames of the page and of `frame` when given: a webview renders on its own schedule).
 */
async function shot(page, name, frame) {
  const file = join(OUT, `${String(++shotNo).padStart(2, '0')}-${name}.png`);
  try {
    await painted(page, frame);
    await page.screenshot({ path: file, timeout: 30 * SEC * SLOW });
    log(`screenshot ${file}`);
  } catch (e) {
    log(`screenshot ${file} failed: ${e.message}`);
  }
  return file;
}

/** Resolves after two animation frames of the page (and of `frame`): what was changed before has been painted. */
async function painted(page, frame) {
  const twoFrames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));
  for (const f of [frame, page].filter(Boolean)) await f.evaluate(twoFrames).catch(() => {});
}

/** Polls `fn` until it returns a truthy value; throws `what` (with the last error) when time runs out. */
async function until(what, fn, timeout, interval = 250) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout / SEC}s waiting for ${what}${last ? ` (last error: ${last.message.split('\n')[0]})` : ''}`);
    await pause(interval);
  }
}

/**
 * Waits until `fn` returns the same (JSON-equal, truthy) value on `times` looks in a row: a list that is still
 * filling, a toast still sliding in, a dialog still listing its folder settle before the step reads them.
 */
async function settled(what, fn, timeout, times = 3, interval = 200) {
  let prev;
  let same = 0;
  return until(
    what,
    async () => {
      const v = await fn();
      const k = v ? JSON.stringify(v) : undefined;
      same = k !== undefined && k === prev ? same + 1 : 0;
      prev = k;
      return same >= times - 1 ? v : undefined;
    },
    timeout,
    interval,
  );
}

/** A locator's box once it stops moving (toasts and quick inputs slide and fade in). */
async function steadyBox(locator, what) {
  return settled(what, async () => {
    const b = await locator.boundingBox();
    return b && b.width > 0 ? { x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.width), h: Math.round(b.height) } : undefined;
  }, T.ui);
}

/**
 * Runs `fn` up to `attempts` times: for workbench UI that legitimately re-renders under a busy machine (a quick
 * pick whose rows are replaced while the search process answers, a list that lost its focus). `between` tidies up
 * (Escape) before the next attempt. The last error is thrown with the number of attempts.
 */
async function retry(what, attempts, fn, between) {
  let last;
  for (let i = 1; i <= attempts; i++) {
    try {
      return await fn(i);
    } catch (e) {
      if (e.fatal) throw e;
      last = e;
      log(`${what}: attempt ${i}/${attempts} failed: ${e.message.split('\n')[0]}`);
      await between?.().catch(() => {});
    }
  }
  throw new Error(`${what} failed ${attempts} times; last: ${last.message}`);
}

// ---------------------------------------------------------------- workbench helpers (as a person: keyboard first)

const quickInput = (page) => page.locator('.quick-input-widget');

/**
 * The label of each row of the quick input's list (its first `.label-name`: a row's detail line is an icon label too,
 * and a reused row keeps the detail of the quick pick it last showed).
 */
async function rowLabels(page) {
  return page.locator('.quick-input-list .monaco-list-row').evaluateAll((rows) => rows.map((r) => (r.querySelector('.label-name')?.textContent ?? '').replace(/\s+/g, ' ').trim()));
}
const quickInputBox = (page) => page.locator('.quick-input-widget input.input');

/**
 * Closes the quick input, if one is open, with Escape; true once it is hidden. The key goes where the focus is: after a
 * click in a webview (the side panel's Export…) the webview may still hold it on a slow machine and swallow Escape,
 * leaving the quick pick open for later steps to find in their way; so the quick input's box is focused first, and
 * Escape is pressed again until it closes.
 */
async function closeQuickInput(page) {
  const open = () => quickInput(page).isVisible().catch(() => false);
  for (let i = 0; i < 4 && (await open()); i++) {
    await quickInputBox(page).focus({ timeout: T.ui / 4 }).catch(() => {});
    await page.keyboard.press('Escape');
    await quickInput(page).waitFor({ state: 'hidden', timeout: T.ui / 4 }).catch(() => {});
  }
  return !(await open());
}

/** Replaces the quick input's text with `text` and waits until the box holds it. */
async function setQuickInput(page, text) {
  const input = quickInputBox(page);
  await input.fill(text, { timeout: T.ui });
  await until(`the quick input to hold "${text}"`, async () => (await input.inputValue()) === text, T.ui);
}

/** Ctrl+P, the file's path, pick the row of that file (name and folder): it opens in the active group. */
async function quickOpen(page, relPath) {
  const parts = relPath.split('/');
  const base = parts.pop();
  // The row whose name is exactly the file's (report tabs named after the config are listed too).
  const exact = new RegExp(`^\\s*${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  const activeTab = page.locator(`.tabs-container .tab.active[data-resource-name="${base}"]`);
  await retry(
    `Ctrl+P ${relPath}`,
    3,
    async () => {
      await closeQuickInput(page);
      await page.keyboard.press('Control+P');
      await quickInputBox(page).waitFor({ state: 'visible', timeout: T.ui });
      await setQuickInput(page, relPath);
      // Quick open lists editor history first and adds file-search results when the search process answers: the
      // rows are replaced meanwhile, so only a visible row of that file counts.
      let row = page.locator('.quick-input-list .monaco-list-row').filter({ visible: true }).filter({ has: page.locator('.label-name', { hasText: exact }).first() });
      if (parts.length) row = row.filter({ hasText: parts.join('/') });
      await row.first().waitFor({ state: 'visible', timeout: T.search });
      await row.first().click({ timeout: T.ui });
      await activeTab.waitFor({ timeout: T.ui });
    },
    () => closeQuickInput(page),
  );
  await page.locator('.part.editor .editor-instance .monaco-editor').filter({ visible: true }).first().waitFor({ timeout: T.ui });
}

/** The report webview's frame; re-shows the report's editor tab when its webview was hidden (and so discarded). */
async function reportFrame(page) {
  if (state.reportFrame && !state.reportFrame.isDetached() && (await state.reportFrame.evaluate(isReportDocument).catch(() => false))) return state.reportFrame;
  const tab = page.locator('.tabs-container .tab[aria-label^="Attention report"]').filter({ hasNotText: /padding/i }).first();
  await tab.click({ timeout: T.ui });
  state.reportFrame = await findFrame(page, 'the report webview after re-showing its tab', isReportDocument, undefined, T.view, 'editor');
  return state.reportFrame;
}

/** The command palette's row labels once they stop changing. */
async function paletteLabels(page) {
  return settled('the command palette rows to settle', async () => {
    return rowLabels(page);
  }, T.ui);
}

/** F1 with `text` typed: waits until the palette shows a row for it (the palette filters as it is typed). */
async function openPalette(page, text) {
  await closeQuickInput(page);
  await page.keyboard.press('F1');
  await quickInputBox(page).waitFor({ state: 'visible', timeout: T.ui });
  await until('the command palette (">")', async () => (await quickInputBox(page).inputValue()).startsWith('>'), T.ui);
  await setQuickInput(page, `>${text}`);
}

/** The labels the command palette lists for `text` (F1, type, read the rows once settled, Escape). */
async function paletteItems(page, text) {
  await openPalette(page, text);
  const labels = await paletteLabels(page).catch(() => []);
  await closeQuickInput(page);
  return labels;
}

/** F1, the command's title (or `typed`, a prefix of it), wait until the palette's first row is that command, Enter. */
async function runCommand(page, title, typed = title) {
  await retry(
    `the command "${title}"`,
    3,
    async () => {
      await openPalette(page, typed);
      // The row with exactly that title, once the list has settled (an exact match usually sorts first, but not
      // always: "Preferences: Color Theme" lists "… Browse Color Themes in Marketplace" above it): Enter when it is
      // the first row, else a click on it.
      const index = await settled(`the palette to list "${title}"`, async () => {
        const i = (await rowLabels(page)).indexOf(title);
        return i >= 0 ? { i } : undefined;
      }, T.ui, 2).catch(async (e) => {
        const shown = await rowLabels(page).catch(() => []);
        throw new Error(`${e.message} (it lists: ${shown.slice(0, 8).join(' | ') || 'nothing'})`);
      });
      if (index.i === 0) await page.keyboard.press('Enter');
      else await page.locator('.quick-input-list .monaco-list-row').nth(index.i).click({ timeout: T.ui });
      // The palette closes (or turns into the command's own quick input): the command ran.
      await until('the palette to close on Enter', async () => !(await quickInput(page).isVisible()) || !(await quickInputBox(page).inputValue()).startsWith('>'), T.ui);
    },
    () => closeQuickInput(page),
  );
}

/** Switches VS Code's colour theme as a person does (F1 "Preferences: Color Theme", the theme's name, its row). */
async function setColorTheme(page, theme, label, workbenchClass) {
  const isOn = () => page.locator('.monaco-workbench').first().evaluate((el, c) => el.classList.contains(c), workbenchClass);
  if (await isOn()) return;
  await retry(`the colour theme ${theme}`, 3, async () => {
    await runCommand(page, 'Preferences: Color Theme');
    await quickInputBox(page).waitFor({ state: 'visible', timeout: T.ui });
    await setQuickInput(page, theme.includes('High Contrast') ? 'High Contrast' : 'Modern');
    // The picker groups themes under light/dark headings: click the row of that name wherever it sits.
    const index = await settled(`the theme picker to list "${theme}"`, async () => {
      const i = (await rowLabels(page)).findIndex((l) => label.test(l));
      return i >= 0 ? { i } : undefined;
    }, T.ui, 2).catch(async (e) => {
      throw new Error(`${e.message} (it lists: ${(await rowLabels(page).catch(() => [])).slice(0, 8).join(' | ')})`);
    });
    await page.locator('.quick-input-list .monaco-list-row').nth(index.i).click({ timeout: T.ui });
    await until(`the workbench to switch to ${theme}`, isOn, T.ui);
  }, () => closeQuickInput(page));
}

/** Hovers the config key `key` in the visible editor and returns the hover's text (the extension's part of it). */
async function hoverKey(page, key) {
  const token = page.locator('.editor-instance .monaco-editor .view-lines span', { hasText: new RegExp(`^"?${key}"?$`) }).filter({ visible: true }).first();
  return retry(`hover on ${key}`, 3, async () => {
    await token.hover({ timeout: T.ui });
    const hover = page.locator('.monaco-hover', { hasText: 'Attention Profiler' }).filter({ visible: true }).first();
    await hover.waitFor({ timeout: T.ui });
    return (await hover.innerText()).replace(/\s+/g, ' ');
  }, async () => {
    await page.mouse.move(5, 5);
  });
}

/**
 * Removes one user setting as a person does: F1 "Open User Settings (JSON)" (VS Code 1.139 shows it in a modal
 * editor), a click on the setting's line, Ctrl+Shift+K (delete line), Ctrl+S, close. Done once the file on disk says so.
 */
async function deleteUserSetting(page, key) {
  await runCommand(page, 'Preferences: Open User Settings (JSON)');
  const editor = page.locator('.monaco-editor').filter({ hasText: '"security.workspace.trust.enabled"' }).filter({ visible: true }).first();
  await editor.waitFor({ timeout: T.ui });
  const file = join(USER_DATA, 'User', 'settings.json');
  await retry(`delete the line of ${key}`, 3, async () => {
    await editor.locator('.view-line', { hasText: `"${key}"` }).first().click({ timeout: T.ui });
    await page.keyboard.press('Control+Shift+K');
    await until(`the line of ${key} to go`, async () => !(await editor.locator('.view-line', { hasText: `"${key}"` }).count()), T.ui);
  });
  await page.keyboard.press('Control+S');
  await until(`${file} to lose ${key}`, async () => {
    const settings = JSON.parse(readFileSync(file, 'utf8'));
    return !(key in settings);
  }, T.ui);
  // The modal editor closes with its own close button (the command palette does not open over it).
  await retry('close the settings editor', 3, async () => {
    if (await editor.isVisible()) {
      const close = page.locator('[class*="modal"] .codicon-close, [class*="modal"] [aria-label^="Close"]').filter({ visible: true }).first();
      if (await close.count()) await close.click({ timeout: T.ui });
      else await page.keyboard.press('Escape');
    }
    await editor.waitFor({ state: 'hidden', timeout: T.ui });
  });
}

/** The simple file dialog's path once it has stopped changing (it fills in a name and lists the folder first). */
async function settledDialog(page) {
  return settled('the file dialog to settle', async () => {
    const v = await quickInputBox(page).inputValue();
    const rows = await page.locator('.quick-input-list .monaco-list-row').count();
    return v.startsWith('/') ? { v, rows } : undefined;
  }, T.ui).then((x) => x.v);
}

/** Shows the "Attention Profiler" side bar (its activity bar item toggles it: clicked only when it is not shown). */
async function showSidePanel(page) {
  const item = page.locator('.part.activitybar .action-item a[aria-label^="Attention Profiler"], .part.activitybar .action-item[aria-label^="Attention Profiler"]').first();
  await item.waitFor({ timeout: T.ui }).catch(async () => {
    const labels = await page.locator('.part.activitybar .action-item a, .part.activitybar .action-item').evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')).filter(Boolean));
    throw new Error(`no "Attention Profiler" item in the activity bar (it has: ${labels.join(' | ')})`);
  });
  const title = page.locator('.part.sidebar .title-label').first();
  const shows = async () => (await page.locator('.part.sidebar').isVisible()) && /attention profiler/i.test(await title.innerText({ timeout: 1000 }).catch(() => ''));
  await retry('show the Attention Profiler side bar', 3, async () => {
    if (!(await shows())) await item.click({ timeout: T.ui });
    await until('the side bar to show "Attention Profiler"', shows, T.ui);
  });
}

/** Texts of the CodeLens decorations in the visible editors. */
async function codeLensTexts(page) {
  return (await page.locator('.codelens-decoration').allInnerTexts().catch(() => [])).map((t) => t.replace(/\s+/g, ' ').trim());
}

/**
 * The webview frame whose document satisfies `predicate` (evaluated in each frame; webviews sit in nested iframes,
 * so every frame of the page is tried). `where` ('editor' | 'sidebar' | undefined) restricts to webviews whose outer
 * iframe lies over the editor area or the side bar.
 */
async function findFrame(page, what, predicate, arg, timeout, where) {
  return until(
    what,
    async () => {
      for (const f of page.frames()) {
        if (f === page.mainFrame()) continue;
        let ok = false;
        try {
          ok = await f.evaluate(predicate, arg);
        } catch {
          continue; // detached, navigating, or not a document we can read
        }
        if (!ok) continue;
        if (where && !(await frameIsIn(page, f, where))) continue;
        return f;
      }
      return undefined;
    },
    timeout,
    1000,
  );
}

async function frameIsIn(page, frame, where) {
  let top = frame;
  while (top.parentFrame() && top.parentFrame() !== page.mainFrame()) top = top.parentFrame();
  const el = await top.frameElement();
  const box = await el.boundingBox();
  if (!box || box.width < 20 || box.height < 20) return false;
  const part = await page.locator(where === 'sidebar' ? '.part.sidebar' : '.part.editor').first().boundingBox();
  if (!part) return false;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  return cx >= part.x && cx <= part.x + part.width && cy >= part.y && cy <= part.y + part.height;
}

// ---------------------------------------------------------------- in-webview probes (run inside the frame)

/** Rows of the summary table (table rows or ARIA grid rows) as arrays of cell texts. */
function summaryRows() {
  const rows = [...document.querySelectorAll('tr, [role=row], vscode-data-grid-row')];
  return rows
    .map((r) => [...r.querySelectorAll('td, th, [role=gridcell], [role=cell], [role=columnheader], [role=rowheader], vscode-data-grid-cell')].map((c) => (c.innerText ?? c.textContent ?? '').replace(/\s+/g, ' ').trim()))
    .filter((cells) => cells.length > 0);
}

/** The report webview: its document is titled "Attention: …" (the panel title) or shows a naive and a flash row. */
function isReportDocument() {
  // A profile's report (not a padding analysis, not a comparison): "Attention report · <model> <shape> · <time>".
  if (/^Attention report · (?!padding)/.test(document.title) && document.querySelector('[role=tab], vscode-panel-tab, table')) return true;
  if (/^Attention (report · padding|comparison)/.test(document.title)) return false;
  const rows = [...document.querySelectorAll('tr, [role=row], vscode-data-grid-row')].map((r) => (r.innerText ?? r.textContent ?? ''));
  return rows.some((t) => /\bnaive\b/i.test(t)) && rows.some((t) => /\bflash\b/i.test(t));
}

/** Clicks the tab whose label matches `re` (role=tab, toolkit panel tabs, or buttons), in the report frame. */
async function openTab(frame, re) {
  const candidates = [
    frame.getByRole('tab', { name: re }),
    frame.locator('vscode-panel-tab', { hasText: re }),
    frame.getByRole('button', { name: re }),
  ];
  for (const c of candidates) {
    const n = await c.count().catch(() => 0);
    for (let i = 0; i < n; i++) {
      const el = c.nth(i);
      if (await el.isVisible().catch(() => false)) {
        await el.click();
        return;
      }
    }
  }
  const tabs = await frame.locator('[role=tab], vscode-panel-tab').allInnerTexts().catch(() => []);
  throw new Error(`the report has no visible tab matching ${re} (tabs: ${tabs.join(' | ') || 'none'})`);
}

/** The largest visible canvas: its size, its own box count if it exposes one, and how many pixels are not background. */
function canvasInk() {
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 50 && r.height > 30 && s.visibility !== 'hidden' && s.display !== 'none' && el.offsetParent !== null;
  };
  const all = [...document.querySelectorAll('canvas')];
  for (const host of document.querySelectorAll('*')) if (host.shadowRoot) all.push(...host.shadowRoot.querySelectorAll('canvas'));
  const canvases = all.filter(visible).sort((a, b) => b.width * b.height - a.width * a.height);
  if (!canvases.length) return { canvases: all.length, visible: 0 };
  const c = canvases[0];
  const ctx = c.getContext('2d');
  if (!ctx) return { canvases: all.length, visible: canvases.length, error: 'no 2d context' };
  const { data } = ctx.getImageData(0, 0, c.width, c.height);
  // Background = the most common colour (transparent or the theme's); ink = pixels that differ from it.
  const counts = new Map();
  for (let i = 0; i < data.length; i += 4 * 7) {
    const k = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const bg = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
  let ink = 0;
  const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    const k = (data[i] << 24) | (data[i + 1] << 16) | (data[i + 2] << 8) | data[i + 3];
    if (k !== bg) {
      ink++;
      if (colours.size < 64) colours.add(k);
    }
  }
  return {
    canvases: all.length,
    visible: canvases.length,
    width: c.width,
    height: c.height,
    ink,
    inkFraction: ink / (c.width * c.height),
    colours: colours.size,
    boxCount: c.dataset.boxCount !== undefined ? Number(c.dataset.boxCount) : undefined,
  };
}

/** Visible SVG charts: number of paths with real geometry (or rects/circles for points and bars) and their text. */
function svgCharts() {
  const all = [...document.querySelectorAll('svg')];
  for (const host of document.querySelectorAll('*')) if (host.shadowRoot) all.push(...host.shadowRoot.querySelectorAll('svg'));
  return all
    .filter((s) => {
      const r = s.getBoundingClientRect();
      return r.width > 150 && r.height > 100 && s.closest('[hidden]') === null && getComputedStyle(s).visibility !== 'hidden' && s.getClientRects().length > 0;
    })
    .map((s) => ({
      width: Math.round(s.getBoundingClientRect().width),
      height: Math.round(s.getBoundingClientRect().height),
      paths: [...s.querySelectorAll('path')].filter((p) => (p.getAttribute('d') ?? '').length > 12).length,
      marks: s.querySelectorAll('rect, circle, line, polyline').length,
      points: s.querySelectorAll('circle, path.point, .point, .dot').length,
      text: [...s.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean).join(' | '),
    }));
}

/**
 * The flame chart's pass row read from its pixels: for each pass in the legend, its share of the row's pass-coloured
 * pixels, against its share of the pass row's time (the chart's data-pass-shares). Anti-aliased edges and labels,
 * which match no legend colour exactly, are left out.
 */
function flamePassPixels() {
  const canvas = document.querySelector('.flame canvas.flame-canvas');
  if (!canvas || !canvas.width) return undefined;
  const d = canvas.dataset;
  const dpr = canvas.width / canvas.clientWidth;
  const rowH = Number(d.rowHeight);
  const y0 = Math.round((Number(d.axisHeight) + 3 * rowH + 2) * dpr);
  const y1 = Math.round((Number(d.axisHeight) + 4 * rowH - 2) * dpr);
  const x0 = Math.round(Number(d.gutter) * dpr) + 1;
  const legend = [...document.querySelectorAll('.flame .legend .legend-item')]
    .map((it) => {
      const px = it.querySelector('canvas')?.getContext('2d')?.getImageData(6, 6, 1, 1).data;
      return { label: (it.textContent ?? '').trim(), key: px ? `${px[0]},${px[1]},${px[2]}` : '' };
    })
    .filter((x) => x.label.startsWith('pass '));
  const { data } = canvas.getContext('2d').getImageData(x0, y0, canvas.width - x0, Math.max(1, y1 - y0));
  const counts = new Map(legend.map((l) => [l.key, 0]));
  let matched = 0;
  for (let i = 0; i < data.length; i += 4) {
    const k = `${data[i]},${data[i + 1]},${data[i + 2]}`;
    if (counts.has(k)) {
      counts.set(k, counts.get(k) + 1);
      matched++;
    }
  }
  const time = JSON.parse(d.passShares ?? '{}');
  return {
    matched,
    passes: legend.map((l) => ({ pass: l.label.slice(5), pixels: matched ? counts.get(l.key) / matched : 0, time: time[l.label.slice(5)] ?? 0 })),
  };
}

/**
 * Colours of the visible chart against its background, as WCAG contrast ratios: every text and every point mark.
 * Each colour is resolved through a canvas, so an rgba() with alpha < 1 is caught.
 */
function chartContrast() {
  const ctx = document.createElement('canvas').getContext('2d');
  const rgba = (c) => {
    ctx.fillStyle = '#010203';
    ctx.fillStyle = c;
    const v = ctx.fillStyle;
    if (v.startsWith('#')) return [1, 3, 5].map((i) => parseInt(v.slice(i, i + 2), 16)).concat(1);
    const m = v.match(/[\d.]+/g).map(Number);
    return [m[0], m[1], m[2], m[3] ?? 1];
  };
  const lum = (c) => {
    const [r, g, b] = rgba(c).slice(0, 3).map((x) => x / 255).map((x) => (x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const svg = [...document.querySelectorAll('svg')].filter((x) => x.getBoundingClientRect().width > 300 && x.getClientRects().length).sort((a, b) => b.getBoundingClientRect().width - a.getBoundingClientRect().width)[0];
  if (!svg) return undefined;
  const bg = svg.querySelector(':scope > rect')?.getAttribute('fill') ?? getComputedStyle(document.body).backgroundColor;
  const texts = [...svg.querySelectorAll('text')].filter((t) => t.textContent.trim()).map((t) => ({ text: t.textContent.trim().slice(0, 40), fill: getComputedStyle(t).fill }));
  // A hollow marker (filled with the background, like the memory peak) is seen by its stroke.
  const marks = [...svg.querySelectorAll('circle')]
    .map((c) => {
      const fill = c.getAttribute('fill');
      const hollow = !fill || fill === 'none' || fill === bg;
      const color = hollow ? c.getAttribute('stroke') : fill;
      return { fill: color, alpha: color ? rgba(color)[3] : 1 };
    })
    .filter((m) => m.fill && m.fill !== 'none');
  return {
    body: document.body.className,
    bg,
    worstText: texts.map((t) => ({ ...t, contrast: ratio(t.fill, bg) })).sort((a, b) => a.contrast - b.contrast)[0],
    marks: marks.map((m) => ({ ...m, contrast: ratio(m.fill, bg) })),
  };
}

/** The roofline's point labels: their boxes, the plot area inside the axes, and the point circles. */
function rooflineLabels() {
  const svg = [...document.querySelectorAll('svg[aria-label^="Roofline"]')].find((x) => x.getClientRects().length);
  if (!svg) return undefined;
  const box = (el) => {
    const r = el.getBoundingClientRect();
    return { x0: r.left, y0: r.top, x1: r.right, y1: r.bottom };
  };
  const domains = [...svg.querySelectorAll('.domain')].map(box);
  return { labels: [...svg.querySelectorAll('text.point-label')].map((t) => ({ text: t.textContent, ...box(t) })), domains };
}

/** What the report's Padding tab shows: the tab state, the recommendation, each chart's texts and marks, the table. */
function paddingProbe() {
  const text = (el) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
  const chart = (prefix) => {
    const svg = [...document.querySelectorAll('svg')].find((x) => (x.getAttribute('aria-label') ?? '').startsWith(prefix));
    if (!svg) return undefined;
    const r = svg.getBoundingClientRect();
    return { width: Math.round(r.width), height: Math.round(r.height), rects: svg.querySelectorAll('rect').length, texts: [...svg.querySelectorAll('text')].map((t) => t.textContent.trim()).filter(Boolean) };
  };
  return {
    tabSelected: document.querySelector('vscode-panel-tab#tab-padding')?.getAttribute('aria-selected') ?? null,
    recommendation: text(document.querySelector('.pad-recommendation')),
    histogram: chart('Histogram of sequence lengths'),
    tokens: chart('Token slots per strategy'),
    work: chart('Attention work per strategy'),
    strategies: [...document.querySelectorAll('table.pad-table tbody th')].map(text),
    view: text(document.querySelector('.padding-view')),
  };
}

/** Waits for the quick input titled like `titleRe` (an input box or a quick pick of a multi-step command). */
async function quickInputTitled(page, titleRe, timeout = T.ui) {
  const title = page.locator('.quick-input-widget .quick-input-title');
  let shown = '(none open)';
  return until(
    `a quick input titled ${titleRe}`,
    async () => {
      if (!(await page.locator('.quick-input-widget').isVisible().catch(() => false))) {
        shown = '(none open)';
        return undefined;
      }
      shown = (await title.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      return titleRe.test(shown) ? shown : undefined;
    },
    timeout,
    250,
  ).catch((e) => {
    throw new Error(`${e.message}; the quick input shows ${shown === '(none open)' ? shown : `"${shown}"`}`);
  });
}

/**
 * Runs a palette command that opens a quick input and waits for it. A palette closed by something else taking the focus
 * (a report tab that has just opened, on a slow machine) looks to runCommand like the command ran; when its quick input
 * does not come, the command is run again.
 */
async function commandToQuickInput(page, title, typed, titleRe) {
  return retry(`"${title}" to open its quick input`, 3, async () => {
    await runCommand(page, title, typed);
    return quickInputTitled(page, titleRe, T.ui / 2);
  }, () => closeQuickInput(page));
}

/** The first quick pick row's label (what Enter picks). */
async function firstPick(page) {
  return ((await rowLabels(page).catch(() => []))[0] ?? '');
}

// ---------------------------------------------------------------- the scenario

const steps = [];
const state = {};

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: process.env.ATTNPROF_E2E_HEADED !== '1',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const consoleLines = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') consoleLines.push(`[${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));

  /** Runs one step; a failed step saves a screenshot and is reported, later steps that need it are skipped. */
  async function step(id, name, needs, fn) {
    const missing = needs.filter((n) => !steps.find((s) => s.id === n && s.ok));
    if (missing.length) {
      steps.push({ id, name, ok: false, skipped: true, error: `skipped: needs step ${missing.join(', ')}` });
      log(`SKIP ${id} ${name} (needs ${missing.join(', ')})`);
      return;
    }
    const start = Date.now();
    log(`STEP ${id} ${name}`);
    try {
      await fn();
      steps.push({ id, name, ok: true, s: (Date.now() - start) / SEC });
      log(`PASS ${id} ${name} (${((Date.now() - start) / SEC).toFixed(1)}s)`);
    } catch (e) {
      steps.push({ id, name, ok: false, s: (Date.now() - start) / SEC, error: e.message.split('\n').slice(0, 6).join('\n') });
      log(`FAIL ${id} ${name}: ${e.message}`);
      await shot(page, `FAIL-step${id}`);
      await closeQuickInput(page).catch(() => {});
    }
  }

  try {
    await step('0', 'workbench loads with the examples folder', [], async () => {
      await page.goto(URL, { timeout: T.load });
      await page.locator('.monaco-workbench').waitFor({ timeout: T.load });
      // The explorer shows the workspace's folders (examples/ copied there).
      await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'qwen2-7b' }).first().waitFor({ timeout: T.load });
      // The extension's contributions are registered (its activity bar item shows) before anything is typed.
      await page.locator('.part.activitybar .action-item a[aria-label^="Attention Profiler"], .part.activitybar .action-item[aria-label^="Attention Profiler"]').first().waitFor({ timeout: T.load });
      await page.locator('.part.editor').click({ position: { x: 400, y: 300 } }).catch(() => {});
    });

    await step('1', 'open qwen2-7b/config.json (Ctrl+P); CodeLens "GQA 28:4" and "KV cache"', ['0'], async () => {
      await quickOpen(page, 'qwen2-7b/config.json');
      const texts = await until(
        'a CodeLens with "GQA 28:4" and "KV cache" on qwen2-7b/config.json',
        async () => {
          const t = await codeLensTexts(page);
          state.lensesBefore = t;
          return t.some((x) => /GQA 28:4/.test(x)) && t.some((x) => /KV cache/.test(x)) ? t : undefined;
        },
        T.codeLens,
      ).catch((e) => {
        throw new Error(`${e.message}; CodeLens seen: ${JSON.stringify(state.lensesBefore ?? [])}`);
      });
      log(`CodeLens: ${texts.join(' ‖ ')}`);
      await shot(page, 'codelens');
    });

    await step('2', 'F1 "Attention Profiler: Profile Open Model Config"; the report panel opens', ['1'], async () => {
      // Focus the config editor so the command profiles it.
      await page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first().click({ position: { x: 200, y: 10 } });
      await runCommand(page, 'Attention Profiler: Profile Open Model Config');
      const started = Date.now();
      // A progress notification shows while the worker runs (on a fast machine the report may come first).
      const progress = page.locator('.notifications-toasts .notification-toast', { hasText: /profil|attention/i });
      const reportTabs = page.locator('.tabs-container .tab[aria-label^="Attention"]');
      const seen = await until('a progress notification or the report tab', async () => ((await progress.first().isVisible()) ? 'progress' : (await reportTabs.first().isVisible()) ? 'report' : undefined), T.ui).catch(() => undefined);
      if (seen === 'progress') {
        await steadyBox(progress.first(), 'the progress notification to finish sliding in').catch(() => {});
        log(`progress: ${(await progress.first().innerText().catch(() => '')).replace(/\s+/g, ' ')}`);
        await shot(page, 'profiling-progress');
      } else log(`no progress notification seen (${seen ?? 'nothing'} came first)`);
      const errorToast = page.locator('.notifications-toasts .notification-toast', { hasText: /error|failed|cannot|could not/i });
      const reportTab = reportTabs;
      let tabSince;
      state.reportFrame = await until(
        'the report webview with a summary table (rows for naive and flash)',
        async () => {
          if (await errorToast.first().isVisible().catch(() => false)) {
            const msg = (await errorToast.first().innerText()).replace(/\s+/g, ' ');
            throw Object.assign(new Error(`the profile failed with a notification: ${msg}`), { fatal: true });
          }
          // The report's tab is open but its webview never shows the table: fail in a minute, not at the timeout.
          if (await reportTab.first().isVisible().catch(() => false)) {
            tabSince ??= Date.now();
            if (Date.now() - tabSince > T.view) {
              const texts = [];
              for (const fr of page.frames()) if (fr !== page.mainFrame()) texts.push(await fr.evaluate(() => document.body?.innerText?.replace(/\s+/g, ' ').slice(0, 300)).catch(() => ''));
              throw Object.assign(new Error(`the report tab "${(await reportTab.first().innerText()).trim()}" opened but after ${T.view / SEC} s its webview shows no summary table with naive and flash rows; webview texts: ${JSON.stringify(texts.filter(Boolean))}`), { fatal: true });
            }
          }
          for (const f of page.frames()) {
            if (f === page.mainFrame()) continue;
            if (await f.evaluate(isReportDocument).catch(() => false) && (await f.evaluate(summaryRows).catch(() => [])).some((r) => r.some((c) => /^naive\b/i.test(c)))) return f;
          }
          return undefined;
        },
        T.profile,
        2000,
      ).catch(async (e) => {
        const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
        throw new Error(`${e.message}; notifications: ${JSON.stringify(toasts.map((t) => t.replace(/\s+/g, ' ')))}`);
      });
      log(`report opened ${((Date.now() - started) / SEC).toFixed(0)}s after the command`);
    });

    await step('3', 'report: summary row per kernel with a median time; software-adapter banner', ['2'], async () => {
      const f = await reportFrame(page);
      const rows = await until('summary rows with times', async () => {
        const r = await f.evaluate(summaryRows);
        const naive = r.find((c) => c.some((x) => /^naive\b/i.test(x)));
        const flash = r.find((c) => c.some((x) => /^flash(?![\w-])/i.test(x)));
        return naive && flash && naive.some((x) => TIME_RE.test(x)) && flash.some((x) => TIME_RE.test(x)) ? r : undefined;
      }, T.view).catch(async (e) => {
        throw new Error(`${e.message}; rows seen: ${JSON.stringify(await f.evaluate(summaryRows).catch(() => []))}`);
      });
      log(`summary rows: ${rows.map((r) => r.join(' ; ')).join('\n    ')}`);
      // The bracket beside the measured peak is labelled as the analytic expectation.
      // Our two portable kernels (a kernel this adapter cannot run, flash-mma on lavapipe, is listed as skipped).
      const kernelRows = rows.filter((c) => c.some((x) => /^(naive|flash)$/i.test(x)));
      assert.ok(kernelRows.every((c) => c.some((x) => /\d (B|KiB|MiB|GiB) \(analytic \d/.test(x))), 'each kernel row shows "<peak> (analytic <expected>)"');
      // The peak is the kernel's working set (Q, K, V once, O, S for naive), as the analytic model counts it: the
      // profiler's rotating input copies and timestamp buffers are not in it.
      for (const c of kernelRows) {
        const cell = c.find((x) => /\(analytic /.test(x));
        const [peak, analytic] = cell.split('(analytic').map(toBytes);
        assert.ok(Math.abs(peak - analytic) <= 0.05 * analytic, `${c[0]}: measured peak ${cell} is the working set (within 5 % of the analytic one)`);
      }
      // The Shape line names every mask option that ran: Qwen2 is causal.
      const shapeFact = await f.evaluate(() => [...document.querySelectorAll('.facts .fact')].find((x) => x.querySelector('dt')?.textContent === 'Shape')?.querySelector('dd')?.textContent ?? '');
      log(`Shape: ${shapeFact}`);
      // Qwen2's torch_dtype is bfloat16 and lavapipe has shader-f16: attnprof.dtype auto (the default) runs ours f16.
      assert.match(shapeFact, /^B=1 Hq=28 Hkv=4 Nq=\d+ Nk=\d+ D=128 f16 causal$/, 'the Shape line says causal, and f16 from the config\'s torch_dtype');
      // The software fallback is named, in a visible banner (lavapipe/llvmpipe is a software Vulkan adapter).
      const banner = await until('a visible software-adapter banner', () => f.evaluate(() => {
        const els = [...document.querySelectorAll('[role=alert], [role=status], .banner, .warning, .notice, div, p, section, vscode-banner')];
        const hit = els.find((e) => {
          const t = (e.innerText ?? '').replace(/\s+/g, ' ');
          const r = e.getBoundingClientRect();
          return /software/i.test(t) && /(not representative|fallback|software adapter|software renderer|lavapipe|llvmpipe|CPU)/i.test(t) && t.length < 400 && r.width > 0 && r.height > 0;
        });
        return hit ? hit.innerText.replace(/\s+/g, ' ').trim() : undefined;
      }), T.view).catch((e) => {
        throw new Error(`${e.message}: no visible banner says the adapter is a software fallback (timings not representative)`);
      });
      log(`banner: ${banner}`);
      await shot(page, 'report-summary', f);
    });

    await step('4', 'flame chart tab: the canvas has drawn boxes', ['2'], async () => {
      const f = await reportFrame(page);
      await openTab(f, /flame/i);
      const ink = await until('the flame chart canvas to draw boxes', async () => {
        const r = await f.evaluate(canvasInk);
        state.flame = r;
        // Axis and row labels alone ink a few per cent of the canvas; boxes fill a good part of it.
        const enoughInk = r.ink > 5000 && r.inkFraction > 0.1 && r.colours >= 3;
        return enoughInk && (r.boxCount === undefined || r.boxCount > 0) ? r : undefined;
      }, T.view).catch((e) => {
        throw new Error(`${e.message}; canvas: ${JSON.stringify(state.flame)}`);
      });
      log(`flame canvas: ${JSON.stringify(ink)}`);
      // Kernels and passes are told apart by colour: no pass swatch shares a kernel's.
      const swatches = await f.evaluate(() =>
        [...document.querySelectorAll('.flame .legend .legend-item')].map((it) => {
          const d = it.querySelector('canvas')?.getContext('2d')?.getImageData(6, 6, 1, 1).data;
          return { label: (it.textContent ?? '').trim(), rgb: d ? `${d[0]},${d[1]},${d[2]}` : '' };
        }),
      );
      log(`flame legend: ${swatches.map((x) => `${x.label}=${x.rgb}`).join(' | ')}`);
      const kernelSw = swatches.filter((x) => x.label.startsWith('kernel '));
      const passSw = swatches.filter((x) => x.label.startsWith('pass '));
      assert.ok(kernelSw.length >= 2 && passSw.length >= 2, `the legend lists kernels and passes (${swatches.map((x) => x.label).join(', ')})`);
      for (const k of kernelSw) for (const ps of passSw) assert.notEqual(ps.rgb, k.rgb, `"${ps.label}" is drawn in the colour of "${k.label}"`);
      await shot(page, 'flame-chart', f);
      // A box's colour never depends on zoom: read the pass row's pixels in the overview and zoomed in; each pass
      // owns about the share of the ink that it has of the time (PV 45 % of naive must not look like softmax).
      const canvas = f.locator('.flame canvas.flame-canvas');
      const passInk = async (when) => {
        const px = await until(`the pass row's pixels (${when})`, async () => {
          const r = await f.evaluate(flamePassPixels);
          return r && r.matched > 500 ? r : undefined;
        }, T.view);
        log(`flame pass row, ${when}: ${px.passes.map((p) => `${p.pass} ink ${pct(p.pixels)} / time ${pct(p.time)}`).join(' · ')}`);
        for (const p of px.passes) assert.ok(Math.abs(p.pixels - p.time) < 0.1, `${when}: pass ${p.pass} has ${pct(p.pixels)} of the pass row's ink but ${pct(p.time)} of its time`);
        return px;
      };
      await passInk('overview');
      await canvas.focus();
      for (let i = 0; i < 6; i++) await canvas.press('w');
      await painted(page, f);
      await passInk('zoomed in 4×');
      await shot(page, 'flame-zoomed', f);
      await canvas.press('Escape');
    });

    // d3 axes draw a domain path each: a chart needs paths beyond those, or points, to have drawn data.
    const memoryOk = (c) => c.paths >= 3 && /\b(B|KB|KiB|MB|MiB|GB|GiB|bytes)\b/.test(c.text) && /peak/i.test(c.text);
    // Every mark of a chart is in its legend (or has a tooltip): no cryptic "✓"; the profiler's own buffers apart.
    const memoryExtra = async (f) => {
      const legend = await f.evaluate(() => (document.querySelector('.chart-view .legend')?.textContent ?? '').replace(/\s+/g, ' '));
      log(`memory legend: ${legend}`);
      for (const want of [/profiler overhead: rotating input copies, timestamp and read-back buffers \(up to [\d.]+ (B|KiB|MiB|GiB); not in the peak\)/, /analytic working set/, /measured peak of the working set/, /phase: setup, a kernel, teardown/, /input \(Q, K, V/]) {
        assert.match(legend, want, 'the memory legend names every mark');
      }
      const texts = await f.evaluate(() => [...document.querySelectorAll('svg text')].map((t) => t.textContent.trim()));
      assert.ok(!texts.includes('✓'), 'no bare "✓" label in the memory chart');
    };
    // Point labels never collide, and never sit on an axis.
    const rooflineExtra = async (f) => {
      const r = await f.evaluate(rooflineLabels);
      const hit = (a, b) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
      assert.ok(r && r.labels.length >= 2, `roofline point labels: ${JSON.stringify(r)}`);
      r.labels.forEach((a, i) => {
        r.labels.forEach((b, j) => j < i && assert.ok(!hit(a, b), `roofline labels "${a.text}" and "${b.text}" collide`));
        for (const d of r.domains) assert.ok(!hit(a, d), `roofline label "${a.text}" sits on an axis`);
      });
      const ticks = await f.evaluate(() => [...document.querySelectorAll('svg[aria-label^="Roofline"] .tick text')].map((t) => t.textContent).filter(Boolean));
      assert.ok(ticks.every((t) => !/^0\.0000/.test(t)), `roofline ticks stay over the data's range, in a unit that reads (${ticks.join(' ')})`);
    };
    const rooflineOk = (c) => c.points >= 2 && /FLOP/i.test(c.text) && /naive/.test(c.text) && /flash/.test(c.text);
    for (const [id, tab, ok, name, what, extra] of [
      ['5a', /memory/i, memoryOk, 'memory', 'stacked areas (paths beyond the axes), a byte unit, the peak marked, a legend entry per mark', memoryExtra],
      ['5b', /roofline/i, rooflineOk, 'roofline', 'a point per kernel (naive, flash), FLOP axes, labels clear of each other and the axes', rooflineExtra],
    ]) {
      await step(id, `${name} tab: an SVG chart with ${what}`, ['2'], async () => {
        const f = await reportFrame(page);
        await openTab(f, tab);
        const charts = await until(`the ${name} chart (${what})`, async () => {
          const c = await f.evaluate(svgCharts);
          state[name] = c;
          return c.find(ok) ? c : undefined;
        }, T.view).catch((e) => {
          throw new Error(`${e.message}; visible svgs: ${JSON.stringify(state[name])?.slice(0, 800)}`);
        });
        log(`${name}: ${JSON.stringify(charts).slice(0, 400)}`);
        await extra(f);
        await shot(page, name, f);
      });
    }

    await step('5c', 'themes: Light Modern, Dark Modern, High Contrast, High Contrast Light — opaque marks, readable text, a screenshot of each tab', ['2'], async () => {
      // [name, how the picker labels it (VS Code renamed "Default Dark Modern" to "Dark Modern", …), workbench class, webview body class]
      const themes = [
        ['Light Modern', /^(Default )?Light Modern$/, 'vs', 'vscode-light'],
        ['Dark Modern', /^(Default )?Dark Modern$/, 'vs-dark', 'vscode-dark'],
        ['High Contrast', /^(Default High Contrast|Dark High Contrast)$/, 'hc-black', 'vscode-high-contrast'],
        ['High Contrast Light', /^(Default High Contrast Light|Light High Contrast)$/, 'hc-light', 'vscode-high-contrast-light'],
      ];
      const original = await page.locator('.monaco-workbench').first().evaluate((el) => ['vs', 'vs-dark', 'hc-black', 'hc-light'].find((c) => el.classList.contains(c)));
      try {
        for (const [theme, label, workbenchClass, bodyClass] of themes) {
          await setColorTheme(page, theme, label, workbenchClass);
          const f = await reportFrame(page);
          await until(`the report webview to take ${theme} (body.${bodyClass})`, () => f.evaluate((c) => document.body.classList.contains(c), bodyClass), T.ui);
          const slug = theme.toLowerCase().replace(/\s+/g, '-');
          for (const [tab, name] of [[/summary/i, 'summary'], [/flame/i, 'flame'], [/memory/i, 'memory'], [/roofline/i, 'roofline']]) {
            await openTab(f, tab);
            if (name === 'memory' || name === 'roofline') {
              // Theme colours are made opaque before use, and text is picked to read on the chart's background.
              const c = await until(`the ${name} chart in ${theme}`, async () => {
                const r = await f.evaluate(chartContrast);
                return r && r.worstText && r.body.includes(bodyClass) ? r : undefined;
              }, T.view);
              log(`${theme} ${name}: background ${c.bg}, least contrast text "${c.worstText.text}" ${c.worstText.contrast.toFixed(2)}:1, marks ${c.marks.map((m) => `${m.fill} ${m.contrast.toFixed(2)}:1`).join(', ')}`);
              assert.ok(c.worstText.contrast >= 4.5, `${theme} ${name}: the text "${c.worstText.text}" (${c.worstText.fill} on ${c.bg}) has a contrast of ${c.worstText.contrast.toFixed(2)}:1, under 4.5:1`);
              for (const m of c.marks) {
                assert.equal(m.alpha, 1, `${theme} ${name}: a mark is drawn translucent (${m.fill})`);
                assert.ok(m.contrast >= 1.5, `${theme} ${name}: a mark (${m.fill}) nearly vanishes on ${c.bg} (${m.contrast.toFixed(2)}:1)`);
              }
            }
            if (name === 'flame') {
              await until(`the flame chart in ${theme}`, async () => ((await f.evaluate(canvasInk))?.inkFraction ?? 0) > 0.1, T.view);
            }
            await shot(page, `theme-${slug}-${name}`, f);
          }
        }
      } finally {
        // Back to the theme the scenario started in, for the screenshots that follow.
        const back = themes.find((t) => t[2] === original);
        if (back) await setColorTheme(page, back[0], back[1], back[2]).catch((e) => log(`could not restore ${back[0]}: ${e.message}`));
      }
      await openTab(await reportFrame(page), /summary/i).catch(() => {});
    });

    await step('6', 'after the profile, the CodeLens shows "measured:"', ['2'], async () => {
      await quickOpen(page, 'qwen2-7b/config.json');
      const texts = await until('a "measured:" CodeLens on qwen2-7b/config.json', async () => {
        const t = await codeLensTexts(page);
        state.lensesAfter = t;
        return t.some((x) => /measured:/.test(x)) ? t : undefined;
      }, T.measuredLens).catch((e) => {
        throw new Error(`${e.message}; CodeLens seen: ${JSON.stringify(state.lensesAfter ?? [])}`);
      });
      log(`CodeLens: ${texts.join(' ‖ ')}`);
      await shot(page, 'codelens-measured');
    });

    await step('7', 'side panel "Attention Profiler" lists the run', ['2'], async () => {
      await showSidePanel(page);
      const f = await findFrame(
        page,
        'a side-panel webview that lists the Qwen2 run',
        (src) => {
          const t = (document.body?.innerText ?? '').replace(/\s+/g, ' ');
          return new RegExp(src, 'i').test(t) && /(flash|naive)/i.test(t);
        },
        'qwen2',
        T.view,
        'sidebar',
      ).catch(async (e) => {
        const texts = [];
        for (const fr of page.frames()) texts.push(await fr.evaluate(() => document.body?.innerText?.slice(0, 200)).catch(() => ''));
        throw new Error(`${e.message}; frame texts: ${JSON.stringify(texts.filter(Boolean))}`);
      });
      const panelText = (await f.evaluate(() => document.body.innerText)).replace(/\s+/g, ' ');
      log(`side panel: ${panelText.slice(0, 300)}`);
      assert.match(panelText, /B=1 N=\d+ f16/, 'a run in the side panel shows its shape');
      await shot(page, 'side-panel');
      // Export… from the side panel offers the report's formats, not JSON only.
      await f.locator('li.run button', { hasText: 'Export…' }).first().click({ timeout: T.ui });
      await quickInputTitled(page, /^Export Attention report · /);
      const formats = await settled('the export formats', async () => {
        const l = await rowLabels(page);
        return l.length ? l : undefined;
      }, T.ui);
      log(`side-panel export formats: ${formats.join(' | ')}`);
      assert.deepEqual(formats, ['Chrome trace (.json, Perfetto)', 'Report (.json)', 'Summary (.csv)', 'Summary (.md)']);
      await shot(page, 'side-panel-export-formats');
      assert.ok(await closeQuickInput(page), 'the export quick pick closes on Escape');
    });

    await step('8', 'export a Chrome trace (save dialog) and validate the file', ['2'], async () => {
      const target = join(WS, 'e2e-export.trace.json');
      rmSync(target, { force: true });
      // From the palette when the extension has a trace-export command; else the report's own Export control.
      const items = await paletteItems(page, 'Attention Profiler: Export');
      const cmd = items.find((l) => /trace/i.test(l));
      if (cmd) {
        log(`export via the palette: ${cmd}`);
        await runCommand(page, cmd);
      } else {
        log(`no trace-export command in the palette (${items.join(' | ') || 'none'}); using the report's Export control`);
        const f = await reportFrame(page);
        await openTab(f, /summary|table|overview/i).catch(() => {});
        const exportBtn = f.getByRole('button', { name: /^export(\s*(▾|…|\.\.\.))?$/i }).filter({ visible: true });
        await exportBtn.first().click({ timeout: T.ui });
        // A menu of formats: pick the Chrome trace.
        const item = f.getByRole('menuitem', { name: /trace/i }).or(f.getByRole('option', { name: /trace/i })).or(f.locator('button, vscode-option', { hasText: /trace/i }));
        await item.filter({ visible: true }).first().click({ timeout: T.ui });
      }
      // A quick pick may ask which run to export: the newest is first.
      // code-server's save dialog is VS Code's simple file dialog (a quick input with the path): replace the path.
      const input = page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: T.ui });
      let value = await input.inputValue();
      if (!value.startsWith('/')) {
        log(`a quick pick before the dialog (${value || 'empty'}): taking the first item`);
        await page.keyboard.press('Enter');
        await until('the save dialog', async () => (await input.isVisible()) && (await input.inputValue()).startsWith('/'), T.ui);
      }
      // The dialog fills in the proposed name, lists the folder and fades in: read it once that has settled.
      value = await settledDialog(page);
      log(`save dialog proposed ${value}`);
      await shot(page, 'export-dialog');
      await setQuickInput(page, target);
      await page.keyboard.press('Enter');
      await until(`${target} to be written`, async () => existsSync(target) && readFileSync(target, 'utf8').trim().endsWith('}'), T.export).catch(async (e) => {
        const toasts = await page.locator('.notifications-toasts .notification-toast').allInnerTexts().catch(() => []);
        throw new Error(`${e.message}; notifications: ${JSON.stringify(toasts)}`);
      });
      const trace = JSON.parse(readFileSync(target, 'utf8'));
      writeFileSync(join(OUT, 'exported.trace.json'), JSON.stringify(trace));
      assert.equal(typeof trace, 'object');
      assert.ok(!Array.isArray(trace), 'the trace is the JSON object form');
      assert.ok(Array.isArray(trace.traceEvents) && trace.traceEvents.length > 0, 'traceEvents is a non-empty array');
      const ev = trace.traceEvents;
      const xs = ev.filter((e) => e.ph === 'X');
      const cs = ev.filter((e) => e.ph === 'C');
      const ms = ev.filter((e) => e.ph === 'M');
      assert.ok(xs.length > 0, 'X (complete) events for the passes');
      for (const e of xs) {
        assert.ok(Number.isFinite(e.ts) && Number.isFinite(e.dur) && e.dur >= 0, `X event with numeric ts/dur: ${JSON.stringify(e)}`);
        assert.ok(typeof e.name === 'string' && e.name, 'X event with a name');
        assert.ok(e.pid !== undefined && e.tid !== undefined, 'X event with pid/tid');
      }
      assert.ok(xs.some((e) => /naive/i.test(JSON.stringify(e))) && xs.some((e) => /flash/i.test(JSON.stringify(e))), 'X events for both kernels');
      assert.ok(cs.length > 0, 'C (counter) events for memory');
      for (const e of cs) assert.ok(Number.isFinite(e.ts) && e.args && Object.values(e.args).every((v) => Number.isFinite(v)), `C event with numeric args: ${JSON.stringify(e)}`);
      assert.ok(ms.length > 0, 'M (metadata) events');
      assert.ok(ms.some((e) => /process_name|thread_name/.test(e.name) && e.args?.name), 'M events name processes/threads');
      log(`trace: ${ev.length} events (${xs.length} X, ${cs.length} C, ${ms.length} M)`);
      await shot(page, 'exported');
    });

    await step('8b', 'profile again, Compare Reports…: the baseline is the one picked first; differences within noise say so', ['2'], async () => {
      assert.ok(await closeQuickInput(page), 'no quick input left open');
      await runCommand(page, 'Notifications: Clear All Notifications').catch((e) => log(`could not clear notifications: ${e.message}`));
      const tabs = page.locator('.tabs-container .tab[aria-label^="Attention report"]');
      const before = new Set(await tabs.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label'))));
      await quickOpen(page, 'qwen2-7b/config.json');
      await page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first().click({ position: { x: 200, y: 10 } });
      await runCommand(page, 'Attention Profiler: Profile Open Model Config');
      const second = await until('a second report tab (its own time in the title)', async () => {
        const now = await tabs.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')));
        return now.find((l) => l && !before.has(l) && /Qwen2/.test(l));
      }, T.profile, 1000);
      log(`second report: ${second}`);
      // The list is newest first: pick the older run as the baseline, then the newer as B. The pointer is moved off the
      // list first (a row's hover tooltip can lie over the next row); where the second pick still does not come (a click
      // that missed on a slow machine), the command is run again.
      const rows = page.locator('.quick-input-list .monaco-list-row');
      let olderText = '';
      await retry('Compare Reports… to its second pick', 3, async (attempt) => {
        await commandToQuickInput(page, 'Attention Profiler: Compare Reports…', 'Attention Profiler: Compare Reports', /^Compare Reports \(1\/2\): the baseline A/);
        await settled('the reports listed', async () => rows.count(), T.ui);
        const older = rows.nth(1);
        olderText = (await older.innerText()).replace(/\s+/g, ' ');
        if (attempt === 1) await shot(page, 'compare-pick-baseline');
        await page.mouse.move(1, 1);
        await older.click({ timeout: T.ui });
        await quickInputTitled(page, /^Compare Reports \(2\/2\): B, set against A = /, T.ui / 2);
      }, () => closeQuickInput(page));
      await settled('the remaining reports', async () => rows.count(), T.ui);
      await rows.first().click({ timeout: T.ui });
      const f = await findFrame(page, 'the comparison webview', () => document.querySelector('table.compare') !== null && /A\/B comparison/.test(document.body.innerText), undefined, T.view, 'editor');
      const view = await f.evaluate(() => {
        const created = [...document.querySelectorAll('.sides .side')].map((s) => [...s.querySelectorAll('.fact')].find((x) => x.querySelector('dt')?.textContent === 'Created')?.querySelector('dd')?.textContent ?? '');
        // naive and flash ran on both sides (a kernel skipped on this adapter has no change to judge).
        const changes = [...document.querySelectorAll('table.compare tbody tr')]
          .filter((tr) => /^(naive|flash)$/.test(tr.querySelector('th')?.textContent?.trim() ?? ''))
          .map((tr) => tr.lastElementChild?.textContent?.trim() ?? '');
        return { created, changes, note: document.querySelector('.note')?.textContent ?? '' };
      });
      log(`compare: baseline picked "${olderText}"; A created ${view.created[0]}, B created ${view.created[1]}; changes: ${view.changes.join(' | ')}`);
      assert.ok(new Date(view.created[0]) < new Date(view.created[1]), `A (${view.created[0]}) is the older run picked first, B (${view.created[1]}) the newer`);
      assert.ok(view.changes.length >= 2, 'a row per kernel');
      for (const c of view.changes) assert.match(c, /^(within noise \(±[\d.]+ %\)|[\d.]+× (faster|slower) \(95 %: [\d.]+–[\d.]+\))$/, 'a change is significant only with its interval, else "within noise"');
      assert.match(view.note, /bootstrap interval/);
      assert.match(view.note, /Matched by workload name and kernel/);
      await shot(page, 'compare-table', f);
      await openTab(f, /differential/i);
      const legend = await until('the differential flame legend', async () => {
        const l = await f.evaluate(() => [...document.querySelectorAll('.flame .legend .legend-item')].map((it) => {
          const d = it.querySelector('canvas')?.getContext('2d')?.getImageData(6, 6, 1, 1).data;
          return { label: (it.textContent ?? '').trim(), rgb: d ? `${d[0]},${d[1]},${d[2]},${d[3]}` : '' };
        }));
        return l.length ? l : undefined;
      }, T.view);
      const same = legend.find((x) => /^within \d+ %$/.test(x.label));
      const notInA = legend.find((x) => /^not in A/.test(x.label));
      assert.ok(same && notInA, `the legend has "within 3 %" and "not in A" (${legend.map((x) => x.label).join(', ')})`);
      assert.notEqual(same.rgb, notInA.rgb, '"within 3 %" and "not in A" are drawn differently');
      await shot(page, 'compare-diff-flame', f);
    });

    // ------------------------------------------------ padding (issue 5): the command, the Padding tab, side panel, CodeLens
    const lengthsFile = join(WS, 'lengths', 'lengths.txt');
    await step('9', 'F1 "Analyze Padding Efficiency…" on qwen2-7b/config.json; the open dialog takes lengths/lengths.txt', ['0'], async () => {
      assert.ok(existsSync(lengthsFile), `${lengthsFile} exists in the workspace copy`);
      // The export's "Saved …" toast would cover the padding report in the screenshots.
      await runCommand(page, 'Notifications: Clear All Notifications').catch((e) => log(`could not clear notifications: ${e.message}`));
      await quickOpen(page, 'qwen2-7b/config.json');
      await page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first().click({ position: { x: 200, y: 10 } });
      await runCommand(page, 'Attention Profiler: Analyze Padding Efficiency…', 'Attention Profiler: Analyze Padding Efficiency');
      // code-server's open dialog is VS Code's simple file dialog: a quick input holding a path.
      const input = page.locator('.quick-input-widget input.input');
      await until('the open dialog (a path in the quick input)', async () => (await input.isVisible()) && (await input.inputValue()).startsWith('/'), T.ui).catch(async (e) => {
        throw new Error(`${e.message}; the quick input shows "${await input.inputValue().catch(() => '')}"`);
      });
      log(`open dialog proposed ${await settledDialog(page)}`);
      await input.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.type(lengthsFile, { delay: 5 });
      // The dialog completes paths as they are typed: go on once it holds exactly the file and has settled.
      await settled(`the open dialog to hold ${lengthsFile}`, async () => ((await input.inputValue()) === lengthsFile ? lengthsFile : undefined), T.ui);
      await shot(page, 'padding-open-dialog');
      await page.keyboard.press('Enter');
      // The dialog closes and step 2 of the command asks for the batch size.
      await quickInputTitled(page, /Analyze Padding \(2\/5\): batch size/);
    });

    await step('10', 'B 8, L 1024, causal, arithmetic only; the report opens on its Padding tab', ['9'], async () => {
      const input = page.locator('.quick-input-widget input.input');
      for (const [re, value] of [
        [/Analyze Padding \(2\/5\): batch size/, '8'],
        [/Analyze Padding \(3\/5\): max length/, '1024'],
      ]) {
        await quickInputTitled(page, re);
        await input.click();
        await page.keyboard.press('Control+A');
        await page.keyboard.type(value, { delay: 20 });
        await until(`the ${re} input to hold ${value}`, async () => (await input.inputValue()) === value, T.ui);
        if (value === '1024') await shot(page, 'padding-max-length');
        await page.keyboard.press('Enter');
      }
      await quickInputTitled(page, /Analyze Padding \(4\/5\): attention mask/);
      await settled('the mask choices', async () => firstPick(page), T.ui);
      assert.equal(await firstPick(page), 'Causal', 'a causal model config proposes "Causal" first');
      await page.keyboard.press('Enter');
      await quickInputTitled(page, /Analyze Padding \(5\/5\): measure on the GPU\?/);
      await settled('the measure choices', async () => firstPick(page), T.ui);
      assert.equal(await firstPick(page), 'Arithmetic only', '"Arithmetic only" is the default (first)');
      await page.keyboard.press('Enter');
      const errorToast = page.locator('.notifications-toasts .notification-toast', { hasText: /error|failed|cannot|could not/i });
      state.paddingFrame = await findFrame(
        page,
        'the padding report webview (.padding-view)',
        () => {
          if (document.querySelector('.padding-view')) return true;
          return false;
        },
        undefined,
        T.view * 2,
        'editor',
      ).catch(async (e) => {
        const toasts = await errorToast.allInnerTexts().catch(() => []);
        throw new Error(`${e.message}; error notifications: ${JSON.stringify(toasts.map((t) => t.replace(/\s+/g, ' ')))}`);
      });
      const tab = await page.locator('.tabs-container .tab.active').first().getAttribute('aria-label');
      log(`padding report tab: ${tab}`);
      assert.match(tab ?? '', /^Attention report · padding /, 'the active editor is the padding report, titled as a report');
    });

    await step('11', 'Padding tab: recommendation, histogram with L, token and work bars per strategy, table, "Not measured"', ['10'], async () => {
      const f = state.paddingFrame;
      const ok = (p) =>
        p.tabSelected === 'true' &&
        p.recommendation &&
        p.histogram?.rects >= 5 &&
        p.tokens?.texts.length &&
        p.work?.texts.length &&
        p.strategies.length >= 4 &&
        /Not measured/.test(p.view);
      const p = await until('the Padding tab to render its charts and table', async () => {
        const r = await f.evaluate(paddingProbe);
        state.padding = r;
        return ok(r) ? r : undefined;
      }, T.view).catch((e) => {
        throw new Error(`${e.message}; seen: ${JSON.stringify(state.padding)?.slice(0, 1500)}`);
      });
      log(`padding: ${JSON.stringify({ ...p, view: p.view.slice(0, 300) }).slice(0, 1500)}`);
      assert.equal(p.tabSelected, 'true', 'the Padding tab is the selected one');
      assert.match(p.recommendation, /Recommended:/, 'the recommendation card names a strategy');
      assert.match(p.recommendation, /less attention work than fixed/, 'the recommendation says how much less attention work than fixed');
      for (const t of ['L = 1024', 'sequence length (tokens)', 'sequences']) assert.ok(p.histogram.texts.includes(t), `the histogram has the text "${t}" (it has ${JSON.stringify(p.histogram.texts)})`);
      assert.ok(p.histogram.rects >= 5, `the histogram has bars (${p.histogram.rects} rects)`);
      for (const [name, c] of [['token slots', p.tokens], ['attention work', p.work]]) {
        for (const s of ['fixed', 'packed']) assert.ok(c.texts.includes(s), `the ${name} chart names "${s}" (it has ${JSON.stringify(c.texts)})`);
      }
      assert.deepEqual(p.strategies, ['fixed', 'dynamic', 'bucketed', 'packed'], 'the table has a row per strategy');
      assert.match(p.view, /Not measured/, 'an arithmetic-only analysis says it was not measured');
      await shot(page, 'padding-report', f);
      // The rest of the tab (bars and table) below the fold.
      await f.evaluate(() => document.querySelector('table.pad-table')?.scrollIntoView({ block: 'end' }));
      await shot(page, 'padding-report-table', f);
      await f.evaluate(() => document.querySelector('.padding-view')?.scrollIntoView({ block: 'start' }));
    });

    await step('12', 'side panel lists the padding run as "padding → …"', ['10'], async () => {
      await showSidePanel(page);
      const f = await findFrame(page, 'a side-panel webview with a "padding →" row', () => /padding →/.test(document.body?.innerText ?? ''), undefined, T.view, 'sidebar').catch(async (e) => {
        const texts = [];
        for (const fr of page.frames()) texts.push(await fr.evaluate(() => document.body?.innerText?.replace(/\s+/g, ' ').slice(0, 300)).catch(() => ''));
        throw new Error(`${e.message}; frame texts: ${JSON.stringify(texts.filter(Boolean))}`);
      });
      const row = await f.evaluate(() => {
        const els = [...document.querySelectorAll('tr, [role=row], li, [role=listitem], [role=treeitem], .row, .entry')];
        const hit = els.filter((e) => /padding →/.test(e.innerText ?? '')).sort((a, b) => (a.innerText ?? '').length - (b.innerText ?? '').length)[0];
        return hit ? hit.innerText.replace(/\s+/g, ' ').trim() : undefined;
      });
      assert.ok(row, 'a row (not just some text) of the side panel contains "padding →"');
      log(`side panel padding row: ${row}`);
      await shot(page, 'padding-side-panel');
    });

    await step('12b', 'Compare Reports… with a padding analysis and a profile is refused with a sentence', ['10', '8b'], async () => {
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
      await commandToQuickInput(page, 'Attention Profiler: Compare Reports…', 'Attention Profiler: Compare Reports', /^Compare Reports \(1\/2\)/);
      const padRow = page.locator('.quick-input-list .monaco-list-row').filter({ hasText: /padding →/ }).first();
      await padRow.click({ timeout: T.ui });
      await quickInputTitled(page, /^Compare Reports \(2\/2\)/);
      await settled('the remaining reports', async () => page.locator('.quick-input-list .monaco-list-row').count(), T.ui);
      await page.locator('.quick-input-list .monaco-list-row').first().click({ timeout: T.ui });
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: /padding analysis with no kernel timings/ });
      await toast.first().waitFor({ timeout: T.ui });
      const text = (await toast.first().innerText()).replace(/\s+/g, ' ');
      log(`refused: ${text}`);
      assert.match(text, /compare two profiles/);
      await steadyBox(toast.first(), 'the warning to slide in').catch(() => {});
      await shot(page, 'compare-refused');
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
    });

    await step('13', 'training YAML: a CodeLens "padding: fixed wastes … · ▶ Analyze"', ['9'], async () => {
      await quickOpen(page, 'llama-factory/train_qwen2_lora.yaml');
      const texts = await until('a "padding: fixed wastes" CodeLens with "▶ Analyze" on the training YAML', async () => {
        const t = await codeLensTexts(page);
        state.paddingLenses = t;
        return t.some((x) => /padding: fixed wastes/.test(x) && /▶ Analyze/.test(x)) ? t : undefined;
      }, T.measuredLens).catch((e) => {
        throw new Error(`${e.message}; CodeLens seen: ${JSON.stringify(state.paddingLenses ?? [])}`);
      });
      log(`CodeLens: ${texts.join(' ‖ ')}`);
      // Once per model, on its training length: not again on the batch field.
      assert.equal(texts.filter((x) => /padding: fixed wastes/.test(x)).length, 1, 'one padding lens on the training YAML');
      await shot(page, 'padding-codelens');
    });

    // ------------------------------------------------ one sequence length, decode, first run (issue 13)
    await step('14', 'one sequence length: the CodeLens and the hover agree and say where it comes from (attnprof.seqLen = 128)', ['1'], async () => {
      await quickOpen(page, 'qwen2-7b/config.json');
      const lenses = await until('the FLOP lens naming its length and source', async () => {
        const t = await codeLensTexts(page);
        return t.some((x) => /attention [\d.]+ \w?FLOP\/layer @ 128 \(attnprof\.seqLen\)/.test(x)) ? t : undefined;
      }, T.codeLens);
      log(`CodeLens: ${lenses.join(' ‖ ')}`);
      const hover = await hoverKey(page, 'num_attention_heads');
      log(`hover: ${hover}`);
      assert.match(hover, /at 1×128 tokens \(attnprof\.seqLen\)/, 'the hover uses the length the lens shows');
      await shot(page, 'seqlen-hover');
      await page.keyboard.press('Escape');
    });

    await step('15', 'a "▶ Profile decode (KV cache 128)" CodeLens profiles one decode step: a report with Nq=1 Nk=128', ['14'], async () => {
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
      const lens = page.locator('.codelens-decoration a', { hasText: /▶ Profile decode \(KV cache 128\)/ }).first();
      await lens.waitFor({ timeout: T.codeLens });
      await lens.click();
      const f = await findFrame(page, 'the decode report', () => /^Attention report · .*Nq=1 Nk=128/.test(document.title) && document.querySelector('table') !== null, undefined, T.profile, 'editor');
      const shape = await until('the decode report\'s Shape line', () => f.evaluate(() => [...document.querySelectorAll('.facts .fact')].find((x) => x.querySelector('dt')?.textContent === 'Shape')?.querySelector('dd')?.textContent), T.view);
      log(`decode Shape: ${shape}`);
      assert.match(shape, /Nq=1 Nk=128 D=128 f16 causal/);
      await shot(page, 'decode-report', f);
    });

    await step('16', 'Profile Shape… starts from attnprof.seqLen and takes q=1 (Nq ≠ Nk)', ['0'], async () => {
      await commandToQuickInput(page, 'Attention Profiler: Profile Shape…', 'Attention Profiler: Profile Shape', /Profile Shape/);
      const input = quickInputBox(page);
      const prefill = await settled('the shape input', async () => input.inputValue(), T.ui);
      log(`Profile Shape… proposes "${prefill}"`);
      assert.match(prefill, /^\d+,\d+,\d+,128,\d+/, 'N is the attnprof.seqLen setting (128)');
      await setQuickInput(page, '1,8,2,128,64 causal q=1');
      await shot(page, 'shape-decode-input');
      await page.keyboard.press('Enter');
      const f = await findFrame(page, 'the shape report (Nq=1 Nk=128)', () => /^Attention report · shape B=1 Nq=1 Nk=128/.test(document.title) && document.querySelector('table') !== null, undefined, T.profile, 'editor');
      await shot(page, 'shape-decode-report', f);
    });

    await step('17', 'first run with the config\'s length on a software adapter: reduced to N = 256 by itself, said in the progress, a toast and the report; the bar moves with time left', ['14'], async () => {
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
      await deleteUserSetting(page, 'attnprof.seqLen');
      await quickOpen(page, 'qwen2-7b/config.json');
      // The setting took effect when the lens says the config's own length, and where it came from.
      await until('the FLOP lens at the config\'s length', async () => (await codeLensTexts(page)).some((x) => /@ 4k \(max positions 131072, capped\)/.test(x)), T.codeLens);
      const hover = await hoverKey(page, 'num_attention_heads');
      assert.match(hover, /at 1×4096 tokens \(max positions 131072, capped\)/, 'the hover agrees with the lens');
      await page.keyboard.press('Escape');
      await page.locator('.editor-instance .monaco-editor .view-lines').filter({ visible: true }).first().click({ position: { x: 200, y: 10 } });
      await runCommand(page, 'Attention Profiler: Profile Open Model Config');
      const progress = page.locator('.notifications-toasts .notification-toast', { hasText: /Profiling/ }).first();
      const seen = [];
      const first = await until('a progress message that names the reduction and the time left', async () => {
        const t = (await progress.innerText().catch(() => '')).replace(/\s+/g, ' ');
        if (t && seen.at(-1) !== t) seen.push(t);
        return /software adapter: profiled at N = 256 \(the config gives 4096\); set attnprof\.seqLen to change/.test(t) && /left/.test(t) ? t : undefined;
      }, T.profile, 200);
      log(`progress: ${first}`);
      await shot(page, 'first-run-progress');
      // The bar moves during warm-up and timing, not only between kernels: several distinct messages before the end.
      const f = await until('the first-run report', async () => {
        const t = (await progress.innerText().catch(() => '')).replace(/\s+/g, ' ');
        if (t && seen.at(-1) !== t) seen.push(t);
        for (const fr of page.frames()) {
          if (fr === page.mainFrame()) continue;
          if (await fr.evaluate(() => /^Attention report · Qwen2ForCausalLM B=1 N=256/.test(document.title) && document.querySelector('table') !== null).catch(() => false)) return fr;
        }
        return undefined;
      }, T.profile, 200);
      log(`progress messages seen: ${seen.length}: ${seen.slice(0, 8).join(' | ')}`);
      assert.ok(seen.filter((x) => /(warm-up|iteration) \d+\/\d+/.test(x)).length >= 2, 'the progress moves during warm-up and timing');
      const banner = await until('the report\'s note on the reduction', () => f.evaluate(() => document.querySelector('.banner.info')?.textContent ?? ''), T.view);
      assert.match(banner, /software adapter: profiled at N = 256 \(the config gives 4096\); set attnprof\.seqLen to change\./);
      await shot(page, 'first-run-report', f);
    });

    await step('18', 'both engines: Select Kernels… adds torch:eager (PyTorch on the CPU); one report lists WebGPU and PyTorch rows, with a lane each', ['0'], async () => {
      await runCommand(page, 'Notifications: Clear All Notifications').catch(() => {});
      await commandToQuickInput(page, 'Attention Profiler: Select Kernels…', 'Attention Profiler: Select Kernels', /kernels to profile/);
      await setQuickInput(page, 'torch:eager');
      const row = page.locator('.quick-input-list .monaco-list-row').filter({ visible: true }).filter({ has: page.locator('.label-name', { hasText: /^torch:eager$/ }) }).first();
      await row.waitFor({ timeout: T.ui });
      // A click on a row of a multi-select pick ticks it: the "N Selected" count goes up by one.
      const count = page.locator('.quick-input-widget .quick-input-count').filter({ visible: true }).first();
      const selected = async () => Number(/(\d+)/.exec(await count.innerText().catch(() => '0'))?.[1] ?? 0);
      const before = await settled('the selected count', selected, T.ui);
      await row.click({ timeout: T.ui });
      await until('torch:eager to be ticked (one more selected)', async () => (await selected()) === before + 1, T.ui);
      log(`torch:eager: ${(await row.innerText()).replace(/\s+/g, ' ')}`);
      await shot(page, 'select-kernels-torch');
      await page.keyboard.press('Enter');
      const file = join(USER_DATA, 'User', 'settings.json');
      await until('attnprof.kernels to hold torch:eager', async () => (JSON.parse(readFileSync(file, 'utf8'))['attnprof.kernels'] ?? []).includes('torch:eager'), T.ui);
      await commandToQuickInput(page, 'Attention Profiler: Profile Shape…', 'Attention Profiler: Profile Shape', /Profile Shape/);
      await setQuickInput(page, '1,4,2,64,64 causal');
      await page.keyboard.press('Enter');
      const f = await findFrame(page, 'the two-engine report', () => /^Attention report · shape B=1 N=64/.test(document.title) && [...document.querySelectorAll('tr')].some((r) => /torch:eager/.test(r.textContent ?? '')), undefined, T.profile, 'editor');
      const rows = await until('rows of both engines', async () => {
        const r = await f.evaluate(summaryRows);
        const torch = r.find((c) => c.includes('torch:eager'));
        return torch && r.some((c) => c.includes('flash')) && torch.some((x) => TIME_RE.test(x)) ? r : undefined;
      }, T.view);
      log(`two engines: ${rows.map((r) => r.join(' ; ')).join('\n    ')}`);
      const head = rows[0];
      const engineAt = head.indexOf('Engine');
      assert.ok(engineAt >= 0, `an Engine column (${head.join(' | ')})`);
      const engineOf = (k) => rows.find((c) => c.includes(k))?.[engineAt] ?? '';
      assert.match(engineOf('flash'), /WebGPU/);
      assert.match(engineOf('torch:eager'), /PyTorch/);
      assert.match(rows.find((c) => c.includes('torch:eager')).join(' '), /\bok\b/, 'torch:eager matches the float64 reference');
      await shot(page, 'two-engines-summary', f);
      await openTab(f, /flame/i);
      await until('the flame chart with a PyTorch lane', async () => ((await f.evaluate(canvasInk))?.inkFraction ?? 0) > 0.05, T.view);
      await shot(page, 'two-engines-flame', f);
    });
  } finally {
    writeFileSync(join(OUT, 'browser-console.txt'), consoleLines.join('\n') + '\n');
    await shot(page, 'final');
    await browser.close().catch(() => {});
  }
}

let crashed;
await main().catch((e) => {
  crashed = e;
});
const pass = steps.filter((s) => s.ok).length;
const lines = steps.map((s) => `${s.ok ? 'PASS' : s.skipped ? 'SKIP' : 'FAIL'}  ${s.id.padEnd(3)} ${s.name}${s.s !== undefined ? ` (${s.s.toFixed(1)}s)` : ''}${s.ok ? '' : `\n        ${s.error.replace(/\n/g, '\n        ')}`}`);
const summary = `e2e scenario: ${pass}/${steps.length} steps passed in ${((Date.now() - t0) / SEC).toFixed(0)}s\n${lines.join('\n')}\n${crashed ? `crashed: ${crashed.stack}\n` : ''}`;
writeFileSync(join(OUT, 'summary.txt'), summary);
console.log('\n' + summary);
process.exit(crashed || pass !== steps.length ? 1 : 0);
