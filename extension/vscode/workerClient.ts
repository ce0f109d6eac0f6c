/**
 * The extension host's end of the profiling worker (`dist/cli.js worker`, engine/worker.ts). The worker is a
 * separate process so a GPU hang, device loss or out-of-memory kills it and not the editor; cancelling a
 * profile kills it too, and the next request starts a fresh one. No `vscode` import: tested with a fake worker.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AdapterSummary } from '../../kernels/device';
import { isDawnNoise } from '../../kernels/dawnLog';
import type { ProfileRequest } from '../protocol/worker';
import { WORKER_ERROR_KINDS, isFromWorker, type FromWorker, type PaddingRequest, type PythonProbeSummary, type ToWorker, type WorkerErrorKind } from '../protocol/worker';
import { isRequestError } from '../protocol/result';
import type { PythonChoice } from '../protocol/worker';
import { parseReport, ReportFormatError, type ProfileReport } from '../report/schema';

export type ProfileFailureKind = WorkerErrorKind | 'crash' | 'cancelled';

/** A profile or adapter request that did not produce a result; `message` is written for the user. */
export class ProfileFailure extends Error {
  override name = 'ProfileFailure';
  constructor(
    readonly kind: ProfileFailureKind,
    message: string,
    /** The worker's own words (stderr tail, error text) for the output channel. */
    readonly detail = '',
  ) {
    super(message);
  }
}

const ADVICE: Record<WorkerErrorKind, string> = {
  input: 'Check the shape or the config (or the attnprof.batch / attnprof.seqLen settings).',
  gpu: 'Try a smaller shape (attnprof.seqLen, attnprof.batch), fewer kernels, or another adapter with "Select GPU Adapter…".',
  'no-adapter': 'Install a Vulkan driver for your GPU; on a machine without a GPU, install Mesa lavapipe (see the README).',
  internal: 'This is a bug in attnprof: the "Attention Profiler" output has the details.',
};

/** A padding analysis fails on its inputs for other reasons than a profile: say what to check there. */
const PADDING_ADVICE: Partial<Record<WorkerErrorKind, string>> = {
  input:
    'Check the lengths file (one integer per line, JSONL records with length / input_ids / text, an integer .npy array, or a length,count histogram), the batch size and the max length.',
  gpu: 'Try a smaller batch or max length, or analyse without measuring.',
};

export function failureMessage(kind: WorkerErrorKind, message: string, what: 'profile' | 'padding' = 'profile'): string {
  const head =
    kind === 'no-adapter'
      ? 'No GPU adapter'
      : kind === 'gpu'
        ? 'The GPU failed'
        : kind === 'input'
          ? what === 'padding' ? 'Cannot analyse padding' : 'Cannot profile this'
          : what === 'padding' ? 'Padding analysis failed' : 'Profiling failed';
  const text = message.trim().replace(/\.?$/, '.');
  return `${head}: ${text} ${(what === 'padding' ? PADDING_ADVICE[kind] : undefined) ?? ADVICE[kind]}`;
}

/** The last few lines of a worker's output that say something (Dawn's start-up warnings left out), one line. */
export function lastMeaningfulLines(output: string, count = 3, maxChars = 300): string {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    // Dawn's start-up warnings are printed on every device, crash or not: quoted, they hide what went wrong.
    .filter((l) => l && !isDawnNoise(l));
  return lines.slice(-count).join(' ').slice(-maxChars);
}

export interface WorkerClientOptions {
  /** Absolute path of the bundled CLI (`context.asAbsolutePath('dist/cli.js')`). */
  cliPath: string;
  /** Stop the worker after this long without a request (Dawn holds GPU memory while it lives). */
  idleMs?: number;
  /** How long a starting worker may take to say `ready`. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
  /** The worker's environment, read each time a worker starts (settings that reach the GPU layer by variable). */
  env?: NodeJS.ProcessEnv | (() => NodeJS.ProcessEnv);
}

export interface ProfileCall {
  onProgress?: (message: string, fraction: number) => void;
  signal?: AbortSignal;
}

interface Pending {
  kind: 'profile' | 'padding' | 'adapters' | 'python';
  resolve: (value: unknown) => void;
  reject: (e: ProfileFailure) => void;
  onProgress?: (message: string, fraction: number) => void;
}

const STDERR_TAIL = 4000;

export class WorkerClient {
  private child: ChildProcess | undefined;
  private ready: Promise<ChildProcess> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private stderrTail = '';
  /** Workers we killed ourselves, so their exit is not reported as a crash. */
  private readonly killed = new WeakMap<ChildProcess, { kind: ProfileFailureKind; message: string }>();
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  profile(request: ProfileRequest, call: ProfileCall = {}): Promise<ProfileReport> {
    if (call.signal?.aborted) return Promise.reject(new ProfileFailure('cancelled', 'Profiling cancelled.'));
    return this.request('profile', (id) => ({ type: 'profile', id, request }), call).then((r) => r as ProfileReport);
  }

  /**
   * A padding analysis of a lengths file (the worker reads the file); the report carries `padding`. Same
   * semantics as `profile`: progress, cancel = kill, typed failures.
   */
  padding(request: PaddingRequest, call: ProfileCall = {}): Promise<ProfileReport> {
    if (call.signal?.aborted) return Promise.reject(new ProfileFailure('cancelled', 'Padding analysis cancelled.'));
    return this.request('padding', (id) => ({ type: 'padding', id, request }), call).then((r) => {
      const report = r as ProfileReport;
      if (!report.padding) throw new ProfileFailure('internal', failureMessage('internal', 'the worker sent a report without its padding section', 'padding'));
      return report;
    });
  }

  adapters(): Promise<AdapterSummary[]> {
    return this.request('adapters', (id) => ({ type: 'adapters', id }), {}).then((r) => r as AdapterSummary[]);
  }

  /** The Python interpreters discovery tries for the torch:* kernels, each with what it has. */
  python(choice: PythonChoice): Promise<PythonProbeSummary[]> {
    return this.request('python', (id) => ({ type: 'python', id, choice }), {}).then((r) => r as PythonProbeSummary[]);
  }

  /** Kills the worker (a GPU run cannot be interrupted any other way); pending requests fail with `kind`. */
  stop(kind: ProfileFailureKind = 'cancelled', message = 'Profiling cancelled.'): void {
    const child = this.child;
    if (!child) return;
    this.killed.set(child, { kind, message });
    this.clearIdle();
    this.failAll(new ProfileFailure(kind, message));
    child.kill('SIGKILL');
    this.forget(child);
  }

  dispose(): void {
    this.disposed = true;
    this.stop('cancelled', 'The extension is shutting down.');
  }

  private async request(kind: Pending['kind'], make: (id: number) => ToWorker, call: ProfileCall): Promise<unknown> {
    if (this.disposed) throw new ProfileFailure('internal', 'The profiler has been shut down.');
    this.clearIdle();
    const child = await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const entry: Pending = { kind, resolve, reject, onProgress: call.onProgress };
      this.pending.set(id, entry);
      const onAbort = () => this.stop('cancelled', kind === 'padding' ? 'Padding analysis cancelled.' : 'Profiling cancelled.');
      call.signal?.addEventListener('abort', onAbort, { once: true });
      const settle = () => {
        call.signal?.removeEventListener('abort', onAbort);
        if (this.pending.size === 0) this.armIdle();
      };
      entry.resolve = (v) => {
        settle();
        resolve(v);
      };
      entry.reject = (e) => {
        settle();
        reject(e);
      };
      try {
        child.send(make(id));
      } catch (e) {
        this.pending.delete(id);
        entry.reject(new ProfileFailure('crash', `Could not talk to the profiling worker: ${(e as Error).message}.`));
      }
    });
  }

  private start(): Promise<ChildProcess> {
    if (this.ready) return this.ready;
    const log = this.options.log ?? (() => undefined);
    this.stderrTail = '';
    let child: ChildProcess;
    try {
      child = fork(this.options.cliPath, ['worker'], {
        serialization: 'advanced',
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
        env: typeof this.options.env === 'function' ? this.options.env() : this.options.env ?? process.env,
        // Inspector flags of the extension host would make the worker fight for its debug port.
        execArgv: [],
      });
    } catch (e) {
      return Promise.reject(new ProfileFailure('crash', `Could not start the profiling worker (${this.options.cliPath}): ${(e as Error).message}.`));
    }
    this.child = child;
    log(`worker: started pid ${child.pid ?? '?'}`);
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      for (const line of text.split('\n')) if (line.trim()) log(`worker: ${line.trimEnd()}`);
    };
    child.stderr?.on('data', keep);
    child.stdout?.on('data', keep);

    const ready = new Promise<ChildProcess>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ProfileFailure('crash', `The profiling worker did not start within ${Math.round((this.options.startTimeoutMs ?? 30_000) / 1000)} s.`, this.stderrTail));
        this.stop('crash', 'The profiling worker did not start.');
      }, this.options.startTimeoutMs ?? 30_000);
      const onReady = (raw: unknown) => {
        if (isFromWorker(raw) && raw.type === 'ready') {
          clearTimeout(timer);
          child.off('message', onReady);
          resolve(child);
        }
      };
      child.on('message', onReady);
      child.once('exit', () => {
        clearTimeout(timer);
        reject(this.exitFailure(child));
      });
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(new ProfileFailure('crash', `Could not start the profiling worker: ${e.message}.`));
      });
    });
    child.on('message', (raw: unknown) => this.onMessage(raw));
    child.once('exit', (code, signal) => {
      log(`worker: pid ${child.pid ?? '?'} exited (${signal ?? `code ${code}`})`);
      if (this.child === child) {
        this.failAll(this.exitFailure(child));
        this.forget(child);
      }
    });
    child.on('error', (e) => log(`worker: ${e.message}`));
    this.ready = ready;
    ready.catch(() => {
      if (this.child === child) this.forget(child);
    });
    return ready;
  }

  private exitFailure(child: ChildProcess): ProfileFailure {
    const killed = this.killed.get(child);
    if (killed) return new ProfileFailure(killed.kind, killed.message);
    const how = child.signalCode ? `was killed by ${child.signalCode}` : `exited with code ${child.exitCode ?? '?'}`;
    const tail = lastMeaningfulLines(this.stderrTail);
    return new ProfileFailure(
      'crash',
      `The profiling worker ${how} (a GPU device loss, out-of-memory or a driver crash). The editor is fine; ` +
        `try a smaller shape or another adapter.${tail ? ` Last output: ${tail}` : ''}`,
      this.stderrTail,
    );
  }

  private onMessage(raw: unknown): void {
    if (!isFromWorker(raw)) {
      this.options.log?.('worker: ignored a malformed message');
      return;
    }
    const msg: FromWorker = raw;
    if (msg.type === 'ready') return;
    const entry = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!entry) return;
    switch (msg.type) {
      case 'progress':
        if (typeof msg.message === 'string' && typeof msg.fraction === 'number') entry.onProgress?.(msg.message, Math.min(1, Math.max(0, msg.fraction)));
        return;
      case 'adapters':
        this.pending.delete(msg.id);
        entry.resolve(Array.isArray(msg.adapters) ? msg.adapters.filter((a) => typeof a?.description === 'string') : []);
        return;
      case 'python':
        this.pending.delete(msg.id);
        entry.resolve(Array.isArray(msg.probes) ? msg.probes.filter((p) => typeof p?.description === 'string') : []);
        return;
      case 'result': {
        this.pending.delete(msg.id);
        const what = entry.kind === 'padding' ? 'padding' : 'profile';
        if (msg.ok) {
          try {
            entry.resolve(parseReport(msg.report));
          } catch (e) {
            const why = e instanceof ReportFormatError ? e.message : String(e);
            entry.reject(new ProfileFailure('internal', failureMessage('internal', `the worker sent an invalid report (${why})`, what)));
          }
        } else {
          const kind: WorkerErrorKind = isRequestError(msg.error, WORKER_ERROR_KINDS) ? msg.error.kind : 'internal';
          const text = typeof msg.error?.message === 'string' ? msg.error.message : 'unknown error';
          entry.reject(new ProfileFailure(kind, failureMessage(kind, text, what), text));
        }
        return;
      }
    }
  }

  private failAll(e: ProfileFailure): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const p of entries) p.reject(e);
  }

  private forget(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.ready = undefined;
    child.removeAllListeners('message');
  }

  private armIdle(): void {
    this.clearIdle();
    if (!this.child) return;
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) {
        this.options.log?.('worker: idle, stopping it');
        this.stop('cancelled', 'The profiling worker was idle.');
      }
    }, this.options.idleMs ?? 120_000);
    this.idleTimer.unref?.();
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
