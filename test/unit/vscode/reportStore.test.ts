import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSafeReportId, ReportStore } from '../../../extension/vscode/reportStore';
import { isFromSidebar } from '../../../extension/protocol/sidebar';
import { gemmaReport, shapeReport } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'attnprof-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `reports-${n++}`);

test('reports persist: a new store over the same folder lists them newest first', async () => {
  const dir = freshDir();
  const a = new ReportStore(dir);
  let changes = 0;
  a.onDidChange(() => changes++);
  const older = { ...shapeReport(), id: 'r-old', createdAt: '2026-01-01T00:00:00.000Z' };
  const newer = { ...gemmaReport(), id: 'r-new', createdAt: '2026-02-01T00:00:00.000Z' };
  await a.add(older);
  await a.add(newer);
  assert.ok(changes >= 2);
  assert.deepEqual(readdirSync(dir).sort(), ['r-new.json', 'r-old.json']);

  const b = new ReportStore(dir);
  assert.deepEqual(b.list(), []);
  assert.equal(b.loaded, false);
  await b.load();
  assert.equal(b.loaded, true);
  assert.deepEqual(b.list().map((e) => e.id), ['r-new', 'r-old']);
  assert.equal((await b.get('r-old')).title, older.title);
  assert.equal(b.latestFor('test/fixtures/configs/gemma-2-9b.json')?.id, 'r-new');
  assert.equal(b.latestFor('elsewhere.json'), undefined);
});

test('delete removes the file and the entry', async () => {
  const dir = freshDir();
  const s = new ReportStore(dir);
  await s.add({ ...shapeReport(), id: 'gone' });
  await s.delete('gone');
  assert.equal(existsSync(join(dir, 'gone.json')), false);
  assert.deepEqual(s.list(), []);
  await assert.rejects(s.get('gone'));
});

test('damaged, foreign or renamed files are skipped with the reason, the rest load', async () => {
  const dir = freshDir();
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'truncated.json'), '{"schema": "attnprof.report", "ver');
  writeFileSync(join(dir, 'foreign.json'), JSON.stringify({ schema: 'other' }));
  writeFileSync(join(dir, 'future.json'), JSON.stringify({ ...shapeReport(), id: 'future', version: 99 }));
  writeFileSync(join(dir, 'renamed.json'), JSON.stringify({ ...shapeReport(), id: 'original' }));
  writeFileSync(join(dir, 'good.json'), JSON.stringify({ ...shapeReport(), id: 'good' }));
  writeFileSync(join(dir, 'notes.txt'), 'hello');
  const logs: string[] = [];
  const s = new ReportStore(dir, (l) => logs.push(l));
  await s.load();
  assert.deepEqual(s.list().map((e) => e.id), ['good']);
  const reasons = Object.fromEntries(s.skipped.map((x) => [x.file, x.reason]));
  assert.deepEqual(Object.keys(reasons).sort(), ['foreign.json', 'future.json', 'renamed.json', 'truncated.json']);
  assert.match(reasons['future.json'], /version 99 is newer/);
  assert.equal(logs.length, 4);
});

test('ids that are not plain file names are refused', async () => {
  for (const bad of ['../evil', '..', 'a/b', 'a\\b', '', '.hidden', 'x'.repeat(200)]) assert.equal(isSafeReportId(bad), false, bad);
  assert.equal(isSafeReportId('2026-11-22T20-56-01-123Z-abc123'), true);
  const s = new ReportStore(freshDir());
  await assert.rejects(s.add({ ...shapeReport(), id: '../../escape' }), /cannot be a file name/);
  await assert.rejects(s.get('../x'), /not a report id/);
});

test('the running profile is in memory and announced', () => {
  const s = new ReportStore(freshDir());
  const seen: (string | undefined)[] = [];
  const sub = s.onDidChange(() => seen.push(s.running?.message));
  s.setRunning({ title: 't', message: 'flash: timing', fraction: 0.5 });
  s.setRunning(undefined);
  sub.dispose();
  s.setRunning({ title: 't', message: 'after dispose', fraction: 0 });
  assert.deepEqual(seen, ['flash: timing', undefined]);
});

test('side panel messages are validated', () => {
  assert.equal(isFromSidebar({ type: 'ready' }), true);
  assert.equal(isFromSidebar({ type: 'open', id: 'r1' }), true);
  assert.equal(isFromSidebar({ type: 'compare', ids: ['a', 'b'] }), true);
  assert.equal(isFromSidebar({ type: 'profile', what: 'shape' }), true);
  for (const bad of [null, 'ready', {}, { type: 'open' }, { type: 'open', id: 3 }, { type: 'delete', id: '' }, { type: 'compare', ids: ['a'] }, { type: 'compare', ids: ['a', 'a'] }, { type: 'profile', what: 'rm -rf' }, { type: 'eval', code: 'x' }]) {
    assert.equal(isFromSidebar(bad), false, JSON.stringify(bad));
  }
});
