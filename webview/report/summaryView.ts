/** The summary table: one row per (workload, kernel), sortable by clicking (or Enter/Space on) a header. */
import type { ProfileReport } from '../../extension/report/schema';
import { describeShape, hasTorchRows, hasTrainSplit, rangeCell, splitCell, summaryRows, trainFlopsLine, type SummaryRow } from '../../extension/report/summary';
import { describeShaderChecks, formatBytes, formatMatrixConfig, formatMs, formatRate, formatRatio } from '../../kernels/units';
import { reportToolbar } from './components';
import { h } from './dom';
import type { Shell } from './shell';
import type { SortState } from './state';

interface Column {
  key: keyof SummaryRow;
  label: string;
  title: string;
  numeric: boolean;
  cell: (r: SummaryRow) => string;
}


const COLUMNS: Column[] = [
  { key: 'workload', label: 'Workload', title: 'What was measured (a shape, or a group of model layers)', numeric: false, cell: (r) => r.workload },
  { key: 'engine', label: 'Engine', title: 'Who ran it: our WGSL kernels through WebGPU, or PyTorch (version and device)', numeric: false, cell: (r) => r.engine },
  { key: 'kernel', label: 'Kernel', title: 'Attention kernel (torch:NAME: a PyTorch backend)', numeric: false, cell: (r) => r.kernel },
  { key: 'dtype', label: 'Dtype', title: 'Element type of Q, K, V and O in this row; fwd+bwd: a training step', numeric: false, cell: (r) => r.dtype },
  { key: 'medianMs', label: 'Median', title: 'Median GPU time per run of the kernel', numeric: true, cell: (r) => formatMs(r.medianMs) },
  { key: 'p10Ms', label: 'p10–p90', title: '10th to 90th percentile of the iterations', numeric: true, cell: (r) => rangeCell(r) },
  {
    key: 'forwardMs',
    label: 'Forward | backward',
    title: 'A training step split: GPU time of its forward passes (which save what the backward needs) and of its backward passes',
    numeric: true,
    cell: (r) => splitCell(r),
  },
  { key: 'tflops', label: 'TFLOP/s', title: 'Achieved throughput (flash-attn convention: forward FLOPs; a training step counts the backward as 2.5× the forward)', numeric: true, cell: (r) => formatRate(r.tflops) },
  { key: 'gbps', label: 'GB/s', title: 'Minimum traffic (Q, K, V read, O written) per median time', numeric: true, cell: (r) => formatRate(r.gbps) },
  {
    key: 'peakBytes',
    label: 'Peak GPU memory',
    title: 'The kernel\'s working set at its largest (Q, K, V once, O, its own scratch such as S), measured by the tracked allocator — comparable to torch.cuda.max_memory_allocated around one call; in brackets the analytic expectation from the shape. The profiler\'s own buffers are left out (Memory tab)',
    numeric: true,
    cell: (r) => (r.peakBytes ? (r.analyticPeakBytes ? `${formatBytes(r.peakBytes)} (analytic ${formatBytes(r.analyticPeakBytes)})` : formatBytes(r.peakBytes)) : '–'),
  },
  {
    key: 'savedBytes',
    label: 'Saved for backward',
    title: 'What the forward keeps alive for the backward: naive P (B·Hq·Nq·Nk f32) and O; flash O and the per-row log-sum-exp (B·Hq·Nq)',
    numeric: true,
    cell: (r) => (Number.isFinite(r.savedBytes) ? formatBytes(r.savedBytes) : '–'),
  },
  { key: 'maxRelError', label: 'Max rel. error', title: 'Largest relative error against the float64 CPU reference', numeric: true, cell: (r) => (Number.isFinite(r.maxRelError) ? r.maxRelError.toExponential(1) : '–') },
  { key: 'speedupVsNaive', label: 'vs naive', title: 'Speed-up over the naive kernel on the same workload', numeric: true, cell: (r) => formatRatio(r.speedupVsNaive, 2) },
  { key: 'status', label: 'Status', title: 'ok, WRONG RESULT (over tolerance) or the failure', numeric: false, cell: (r) => r.status },
];

function compareRows(a: SummaryRow, b: SummaryRow, sort: SortState): number {
  const x = a[sort.key];
  const y = b[sort.key];
  let c: number;
  if (typeof x === 'number' && typeof y === 'number') {
    // Missing numbers (failed kernels) sort last whatever the direction.
    if (!Number.isFinite(x) || !Number.isFinite(y)) return Number.isFinite(x) ? -1 : Number.isFinite(y) ? 1 : 0;
    c = x - y;
  } else c = String(x).localeCompare(String(y));
  return sort.descending ? -c : c;
}

export function renderSummaryTable(report: ProfileReport, sort: SortState | undefined, onSort: (s: SortState) => void): HTMLElement {
  const rows = summaryRows(report);
  const showWorkload = report.workloads.length > 1;
  const engines = hasTorchRows(report);
  const train = hasTrainSplit(report);
  const columns = COLUMNS.filter(
    (c) => (c.key !== 'workload' || showWorkload) && ((c.key !== 'engine' && c.key !== 'dtype') || engines) && ((c.key !== 'forwardMs' && c.key !== 'savedBytes') || train),
  );
  const sorted = sort ? [...rows].sort((a, b) => compareRows(a, b, sort)) : rows;
  const head = h(
    'tr',
    {},
    ...columns.map((c) => {
      const active = sort?.key === c.key;
      const button = h('button', { type: 'button', class: 'sort', title: `${c.title}. Sort by ${c.label}.` }, c.label, h('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (sort.descending ? ' ▼' : ' ▲') : ''));
      button.addEventListener('click', () => onSort({ key: c.key, descending: active ? !sort.descending : c.numeric && c.key !== 'medianMs' && c.key !== 'maxRelError' }));
      return h('th', { scope: 'col', class: c.numeric ? 'num' : undefined, 'aria-sort': active ? (sort.descending ? 'descending' : 'ascending') : 'none' }, button);
    }),
  );
  const body = sorted.map((r) => {
    // A wrong result or a failure is an error; a kernel skipped (unavailable on this adapter, or not applicable to the
    // shape) is not: its status is shown muted, and its empty error cell is not flagged.
    const skipped = r.status.startsWith('skipped');
    return h(
      'tr',
      { class: r.status === 'ok' || skipped ? undefined : 'bad' },
      ...columns.map((c) => {
        const cls = [
          c.numeric ? 'num' : '',
          c.key === 'status' ? 'status' : '',
          c.key === 'maxRelError' && !r.correct && !skipped ? 'wrong' : '',
          c.key === 'status' && r.status !== 'ok' ? (skipped ? 'skipped' : 'wrong') : '',
        ]
          .filter(Boolean)
          .join(' ');
        const text = c.cell(r);
        const title =
          c.key === 'status' && r.notes
            ? r.notes
            : c.key === 'peakBytes' && r.overheadBytes
              ? `The kernel's working set. The profiler held ${formatBytes(r.overheadBytes)} more meanwhile (rotating input copies, timestamp buffers): the Memory tab shows it apart.`
              : undefined;
        return c.key === 'kernel' ? h('th', { scope: 'row', class: cls || undefined }, text) : h('td', { class: cls || undefined, title }, text);
      }),
    );
  });
  return h('table', { class: 'summary' }, h('caption', { class: 'visually-hidden' }, 'Kernel timings, throughput, memory and accuracy'), h('thead', {}, head), h('tbody', {}, ...body));
}

/** Header facts: adapter, fallback banner, timestamps, iterations, seed, shape. */
export function renderRunFacts(report: ProfileReport): HTMLElement {
  const a = report.adapter;
  const t = report.timestamps;
  const s = report.settings;
  const fact = (label: string, value: string, title?: string) => h('div', { class: 'fact', title }, h('dt', {}, label), h('dd', {}, value));
  const facts = h(
    'dl',
    { class: 'facts' },
    fact('Adapter', `${a.description}${a.vendor ? ` (${a.vendor}${a.backend ? `, ${a.backend}` : ''})` : ''}`),
    fact(
      'Tensor cores',
      a.subgroupMatrixConfigs?.length ? a.subgroupMatrixConfigs.map(formatMatrixConfig).join(', ') : 'none from WGSL',
      'Subgroup-matrix configurations the adapter offers to WGSL (chromium-experimental-subgroup-matrix); flash-mma needs 16×16×16 f16→f32.',
    ),
    ...(a.f16Note ? [fact('f16', a.f16Note)] : []),
    ...(a.shaderChecks !== undefined
      ? [fact('Shader checks', a.shaderChecks ? 'on (Dawn\'s index clamping, zeroed workgroup memory)' : 'off, as native kernels run', `Shader checks ${describeShaderChecks(a.shaderChecks)}.`)]
      : []),
    fact('Timing', t.available ? `GPU timestamps, ${t.quantized ? 'quantized (coarse: short passes are less exact)' : 'not quantized'}` : 'wall clock (no timestamp queries on this adapter)'),
    fact('Iterations', `${s.iterations} timed + ${s.warmup} warm-up`),
    fact('Seed', String(s.seed)),
    ...(report.engines ?? []).filter((e) => e.id === 'pytorch').map((e) => fact('PyTorch', e.python ?? e.label, (e.tried ?? []).join('\n') || undefined)),
    ...(s.mode === 'train' ? [fact('Mode', 'train: forward + backward with a random dO (FLOPs 3.5× forward)'), fact('FLOPs', trainFlopsLine(report).replace(/^FLOPs per training step[^:]*: /, ''), 'Per training step of one layer, flash-attn convention: the backward counts 2.5× the forward')] : []),
    fact('Shape', describeShape(report)),
    ...(report.settings.dtypeChoice ? [fact('Dtype', report.settings.dtypeChoice)] : []),
    fact('Source', report.source.file ?? report.source.model ?? report.source.kind),
    fact('Created', new Date(report.createdAt).toLocaleString()),
  );
  return h(
    'section',
    { class: 'run-facts', 'aria-label': 'Run' },
    a.isFallback &&
      h('div', { class: 'banner warning', role: 'alert' }, h('strong', {}, 'Software adapter: '), 'timings are not representative of a GPU. ', `(${a.description})`),
    ...(report.notes ?? []).map((n) => h('div', { class: 'banner info', role: 'status' }, n)),
    facts,
  );
}

/** The Summary tab: the toolbar, the sortable table (sort kept in the state) and the kernels' notes. */
export function summaryView(shell: Shell, report: ProfileReport, sortKey: 'sort' | 'sortB' = 'sort', side?: 'a' | 'b'): HTMLElement {
  const holder = h('div', { class: 'table-holder' });
  const render = (sort: SortState | undefined) =>
    holder.replaceChildren(
      renderSummaryTable(report, sort, (s) => {
        shell.save({ [sortKey]: s });
        render(s);
        (holder.querySelector('th[aria-sort="ascending"] button, th[aria-sort="descending"] button') as HTMLElement | null)?.focus();
      }),
    );
  render(shell.ui()[sortKey]);
  const notes = report.workloads.flatMap((w) => w.results.filter((r) => r.notes.length).map((r) => `${w.name} · ${r.kernel}: ${r.notes.join(' ')}`));
  return h('div', { class: 'summary-view' }, reportToolbar(shell, side), holder, notes.length ? h('ul', { class: 'notes' }, ...notes.map((n) => h('li', {}, n))) : '');
}
