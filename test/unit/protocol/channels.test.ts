/** Every channel answers a request the same way: its id, then ok with the payload or an error {kind, message}. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseFromTorch, type FromTorch } from '../../../extension/protocol/python';
import type { ToReportView } from '../../../extension/protocol/reportView';
import { isRequestError } from '../../../extension/protocol/result';
import { WORKER_ERROR_KINDS, isFromWorker, type FromWorker } from '../../../extension/protocol/worker';
import { parseToReportView } from '../../../webview/report/messages';

describe('request results, side by side', () => {
  test('a failure reaches each receiver as { ok: false, error: { kind, message } }', () => {
    const worker: FromWorker = { type: 'result', id: 3, ok: false, error: { kind: 'gpu', message: 'device lost' } };
    assert.ok(isFromWorker(worker));
    const torch: FromTorch = { type: 'result', id: 4, ok: false, error: { kind: 'cancelled', message: 'run 4 cancelled' } };
    assert.deepEqual(parseFromTorch(JSON.stringify(torch)), torch);
    const view: ToReportView = { type: 'result', requestId: 5, ok: false, error: { kind: 'cancelled', message: 'Export cancelled.' } };
    assert.deepEqual(parseToReportView(view), view);
    for (const m of [worker, torch, view]) assert.ok(!m.ok && isRequestError(m.error, [...WORKER_ERROR_KINDS, 'cancelled']));
  });

  test('the report view takes success with its message, and refuses an error without kind and message', () => {
    assert.deepEqual(parseToReportView({ type: 'result', requestId: 1, ok: true, message: 'Saved a.json.' }), { type: 'result', requestId: 1, ok: true, message: 'Saved a.json.' });
    assert.equal(parseToReportView({ type: 'result', requestId: 1, ok: false, error: 'Export cancelled.', cancelled: true }), undefined);
    assert.equal(parseToReportView({ type: 'result', requestId: 1, ok: false, error: { kind: 'exploded', message: 'x' } }), undefined);
    assert.equal(parseToReportView({ type: 'result', requestId: 1, ok: false, error: { kind: 'failed' } }), undefined);
  });

  test('isRequestError checks the kind against the channel’s list', () => {
    assert.ok(isRequestError({ kind: 'input', message: 'bad shape' }, WORKER_ERROR_KINDS));
    assert.ok(!isRequestError({ kind: 'cancelled', message: 'x' }, WORKER_ERROR_KINDS));
    assert.ok(!isRequestError({ kind: 'input' }, WORKER_ERROR_KINDS));
    assert.ok(!isRequestError('input: bad shape', WORKER_ERROR_KINDS));
  });
});
