/**
 * The profiling worker: a child process of the extension host, so a GPU hang, device loss or
 * out-of-memory ends this process and never the editor. Cancellation kills it.
 */
import { GpuError, NoAdapterError, gpuAbandoned, listAdapters } from '../../kernels/device';
import { ProblemError } from '../../kernels/problem';
import { LengthsError } from '../padding/lengths';
import { PaddingError } from '../padding/strategies';
import { analysePadding } from './padding';
import { profile, type ProfileHooks } from './profile';
import { FromWorker, WorkerErrorKind, isToWorker, type PythonProbeSummary } from '../protocol/worker';
import { describeHello, discoverPython } from './pythonSession';
import type { PythonChoice } from '../protocol/worker';

/** Every Python candidate and what it has (none kept running). */
export async function probePythons(choice: PythonChoice): Promise<PythonProbeSummary[]> {
  const found = await discoverPython(choice, { all: true });
  return found.tried.map((t) => ({
    path: t.candidate.path,
    source: t.candidate.source,
    description: t.hello ? describeHello(t.candidate, t.hello) : `${t.candidate.path} [${t.candidate.source}]: ${t.error ?? 'failed'}`,
    torch: t.hello?.torch ?? null,
    ...(t.hello ? { backends: t.hello.backends } : {}),
  }));
}

function send(message: FromWorker, then?: () => void): void {
  process.send?.(message, undefined, {}, () => then?.());
}

/**
 * After a kernel stopped at its time limit the GPU is still busy and this process's device was given up: once the
 * result (what was measured) is sent, the worker ends; the host starts a fresh one for the next request.
 */
function exitIfGpuAbandoned(): void {
  if (gpuAbandoned()) process.exit(0);
}

function errorKind(e: unknown): WorkerErrorKind {
  if (e instanceof NoAdapterError) return 'no-adapter';
  if (e instanceof ProblemError || e instanceof LengthsError || e instanceof PaddingError) return 'input';
  if (e instanceof GpuError) return 'gpu';
  return 'internal';
}

export function runWorker(): Promise<number> {
  if (!process.send) {
    process.stderr.write('attnprof: `worker` is started by the VS Code extension, not by hand.\n');
    return Promise.resolve(2);
  }
  return new Promise((resolve) => {
    process.on('disconnect', () => resolve(0));
    process.on('message', (raw: unknown) => {
      if (!isToWorker(raw)) {
        const id = (raw as { id?: unknown } | null)?.id;
        if (typeof id === 'number') send({ type: 'result', id, ok: false, error: { kind: 'internal', message: 'the worker received a malformed request' } });
        return;
      }
      const msg = raw;
      if (msg.type === 'python') {
        probePythons(msg.choice)
          .then((probes) => send({ type: 'python', id: msg.id, probes }))
          .catch(() => send({ type: 'python', id: msg.id, probes: [] }));
        return;
      }
      if (msg.type === 'adapters') {
        listAdapters()
          .then((adapters) => send({ type: 'adapters', id: msg.id, adapters }))
          .catch(() => send({ type: 'adapters', id: msg.id, adapters: [] }));
        return;
      }
      const hooks: ProfileHooks = { onProgress: (message, fraction) => send({ type: 'progress', id: msg.id, message, fraction }) };
      (msg.type === 'padding' ? analysePadding(msg.request, hooks) : profile(msg.request, hooks))
        .then((report) => send({ type: 'result', id: msg.id, ok: true, report }, exitIfGpuAbandoned))
        .catch((e: unknown) =>
          send({ type: 'result', id: msg.id, ok: false, error: { kind: errorKind(e), message: (e as Error).message } }, exitIfGpuAbandoned),
        );
    });
    send({ type: 'ready' });
  });
}
