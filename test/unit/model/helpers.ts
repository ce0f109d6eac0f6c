import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseConfigFile, type ModelAttention, type ParsedConfig } from '../../../extension/model/index';

/** Tests run from a bundle elsewhere; find the fixtures from the working directory up. */
export function fixture(rel: string): string {
  let dir = process.cwd();
  for (;;) {
    const candidate = join(dir, 'test', 'fixtures', 'configs');
    if (existsSync(candidate)) return join(candidate, rel);
    const up = dirname(dir);
    if (up === dir) throw new Error(`test/fixtures/configs not found above ${process.cwd()}`);
    dir = up;
  }
}

export function repoPath(rel: string): string {
  return join(fixture(''), '..', '..', '..', rel);
}

export function parseFixture(rel: string): ParsedConfig {
  return parseConfigFile(fixture(rel));
}

/** The spec without field positions (checked separately), for whole-object comparison. */
export function spec(m: ModelAttention): Omit<ModelAttention, 'fields'> {
  const rest: Partial<ModelAttention> = { ...m };
  delete rest.fields;
  return rest as Omit<ModelAttention, 'fields'>;
}

export function only(parsed: ParsedConfig): ModelAttention {
  if (parsed.models.length !== 1) throw new Error(`expected one model, got ${parsed.models.length}`);
  return parsed.models[0];
}

export function severities(parsed: ParsedConfig, severity: 'error' | 'warning' | 'info'): string[] {
  return parsed.diagnostics.filter((d) => d.severity === severity).map((d) => `${d.line}:${d.column} ${d.message}`);
}
