/** Validation of host → webview messages (the protocol is imported as types only; the check lives here). */
import type { FromReportView, ToReportView } from '../../extension/protocol/reportView';
import { parseReport } from '../../extension/report/schema';
import { hostChannel, type HostChannel } from '../shared/vscode';

/** The message if well formed (reports checked by the same parser the host uses for files), else undefined. */
export function parseToReportView(value: unknown): ToReportView | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  try {
    switch (m.type) {
      case 'report':
        return { type: 'report', report: parseReport(m.report) };
      case 'compare':
        return { type: 'compare', a: parseReport(m.a), b: parseReport(m.b) };
      case 'result':
        if (typeof m.requestId !== 'number') return undefined;
        if (m.ok === true) return { type: 'result', requestId: m.requestId, ok: true, ...(typeof m.message === 'string' ? { message: m.message } : {}) };
        if (m.ok === false && typeof m.error === 'object' && m.error !== null) {
          const { kind, message } = m.error as Record<string, unknown>;
          if ((kind === 'failed' || kind === 'cancelled') && typeof message === 'string') return { type: 'result', requestId: m.requestId, ok: false, error: { kind, message } };
        }
        return undefined;
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

export type ResultMessage = Extract<ToReportView, { type: 'result' }>;
type RequestMessage = Extract<FromReportView, { requestId: number }>;
type WithoutId<T> = T extends unknown ? Omit<T, 'requestId'> : never;

/** Requests with ids; each resolves when the host's `result` with the same id arrives. */
export class HostRequests {
  private nextId = 1;
  private readonly pending = new Map<number, (r: ResultMessage) => void>();
  readonly channel: HostChannel<FromReportView> = hostChannel<FromReportView>();

  request(message: WithoutId<RequestMessage>): Promise<ResultMessage> {
    const requestId = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(requestId, resolve);
      this.channel.post({ ...message, requestId } as RequestMessage);
    });
  }

  settle(result: ResultMessage): void {
    const resolve = this.pending.get(result.requestId);
    this.pending.delete(result.requestId);
    resolve?.(result);
  }
}
