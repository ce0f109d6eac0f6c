/**
 * The profiling worker: a child process of the extension host, so a GPU hang, device loss or
 * out-of-memory ends this process and never the editor. Cancellation kills it.
 */
import { GpuError, NoAdapterError, listAdapters } from '../../kernels/device';
import { ProblemError } from '../../kernels/problem';
import { profile } from './profile';
import { FromWorker, WorkerErrorKind, isToWorker } from './protocol';

function send(message: FromWorker): void {
  process.send?.(message);
}

function errorKind(e: unknown): WorkerErrorKind {
  if (e instanceof NoAdapterError) return 'no-adapter';
  if (e instanceof ProblemError) return 'input';
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
      if (!isToWorker(raw)) return;
      const msg = raw;
      if (msg.type === 'adapters') {
        listAdapters()
          .then((adapters) => send({ type: 'adapters', id: msg.id, adapters }))
          .catch(() => send({ type: 'adapters', id: msg.id, adapters: [] }));
        return;
      }
      profile(msg.request, {
        onProgress: (message, fraction) => send({ type: 'progress', id: msg.id, message, fraction }),
      })
        .then((report) => send({ type: 'result', id: msg.id, ok: true, report }))
        .catch((e: unknown) =>
          send({ type: 'result', id: msg.id, ok: false, error: { kind: errorKind(e), message: (e as Error).message } }),
        );
    });
    send({ type: 'ready' });
  });
}
