/** Fixtures for the editor-side tests: real configs (test/fixtures/configs) and reports the CLI wrote on lavapipe. */
import { readFileSync } from 'node:fs';
import { fixture, repoPath } from '../model/helpers';
import { parseConfigText, type ParsedConfig } from '../../../extension/model/index';
import { parseReport, type ProfileReport } from '../../../extension/report/schema';
import shapeJson from './fixtures/report-shape.json';
import gemmaJson from './fixtures/report-gemma2.json';

export function parseConfig(rel: string): ParsedConfig {
  const path = fixture(rel);
  return parseConfigText(path, readFileSync(path, 'utf8'));
}

export function exampleText(rel: string): string {
  return readFileSync(repoPath(`examples/${rel}`), 'utf8');
}

/** A deep copy, so a test may edit it. `attnprof profile --shape 1,4,2,64,32 --causal` on lavapipe. */
export function shapeReport(): ProfileReport {
  return parseReport(structuredClone(shapeJson) as unknown);
}

/** `attnprof profile gemma-2-9b.json --seq-len 64` on lavapipe: local and global workloads, 21 layers each. */
export function gemmaReport(): ProfileReport {
  return parseReport(structuredClone(gemmaJson) as unknown);
}
