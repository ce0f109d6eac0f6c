/** Reads typed attention fields out of a positioned JSON object, recording diagnostics and field positions. */
import type { JsonMember, JsonNode, JsonObject, Span } from './jsonc';
import { printable, type ConfigDiagnostic, type FieldRef, type FieldRole, type Severity } from './types';

export type IntRead = { value: number; key: string; span: Span } | undefined | 'invalid';

export function diag(severity: Severity, message: string, at: Span | { line: number; column: number }): ConfigDiagnostic {
  const d: ConfigDiagnostic = { severity, message: printable(message), line: at.line, column: at.column };
  if ('endLine' in at) {
    d.endLine = at.endLine;
    d.endColumn = at.endColumn;
  }
  return d;
}

export function describeNode(n: JsonNode): string {
  switch (n.type) {
    case 'string':
      return `the string ${JSON.stringify(n.value.length > 40 ? n.value.slice(0, 40) + '…' : n.value)}`;
    case 'number':
      return n.raw;
    case 'boolean':
      return String(n.value);
    case 'null':
      return 'null';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
  }
}

export class FieldReader {
  constructor(
    readonly obj: JsonObject | undefined,
    readonly diagnostics: ConfigDiagnostic[],
    readonly fields: FieldRef[],
  ) {}

  member(key: string): JsonMember | undefined {
    return this.obj?.members.get(key);
  }

  /** First of `keys` present with a non-null value. */
  find(keys: readonly string[]): JsonMember | undefined {
    for (const k of keys) {
      const m = this.member(k);
      if (m && m.value.type !== 'null') return m;
    }
    return undefined;
  }

  record(m: JsonMember, role: FieldRole): void {
    if (!this.fields.some((f) => f.key === m.key && f.line === m.keySpan.line && f.column === m.keySpan.column)) {
      this.fields.push({ key: m.key, line: m.keySpan.line, column: m.keySpan.column, role });
    }
  }

  /** A positive integer field (first present alias); strings of digits are used with an error. */
  int(keys: readonly string[], role: FieldRole, opts: { min?: number } = {}): IntRead {
    const m = this.find(keys);
    if (!m) return undefined;
    this.record(m, role);
    const n = m.value;
    const min = opts.min ?? 1;
    let value: number;
    if (n.type === 'number') {
      value = n.value;
    } else if (n.type === 'string' && /^\s*[+-]?\d+(\.\d+)?([eE][+-]?\d+)?\s*$/.test(n.value)) {
      value = Number(n.value);
      if (Number.isInteger(value) && value >= min) {
        this.diagnostics.push(
          diag('error', `"${m.key}" is ${describeNode(n)}, not a number: transformers would fail on it; read as ${value}`, n),
        );
        return { value, key: m.key, span: n };
      }
    } else {
      this.diagnostics.push(diag('error', `"${m.key}" must be a positive integer, got ${describeNode(n)}`, n));
      return 'invalid';
    }
    if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
      this.diagnostics.push(diag('error', `"${m.key}" is ${describeNode(n)}: too large to be a real size (more than 2^53)`, n));
      return 'invalid';
    }
    if (!Number.isFinite(value) || !Number.isInteger(value)) {
      this.diagnostics.push(diag('error', `"${m.key}" must be an integer, got ${describeNode(n)}`, n));
      return 'invalid';
    }
    if (value < min) {
      this.diagnostics.push(diag('error', `"${m.key}" must be at least ${min}, got ${describeNode(n)}`, n));
      return 'invalid';
    }
    return { value, key: m.key, span: n };
  }

  /** A non-negative real number (softcap); null reads as absent. */
  real(keys: readonly string[], role: FieldRole): { value: number; key: string; span: Span } | undefined | 'invalid' {
    const m = this.find(keys);
    if (!m) return undefined;
    this.record(m, role);
    const n = m.value;
    if (n.type === 'number' && Number.isFinite(n.value) && n.value >= 0) return { value: n.value, key: m.key, span: n };
    this.diagnostics.push(diag('error', `"${m.key}" must be a non-negative number, got ${describeNode(n)}`, n));
    return 'invalid';
  }

  bool(key: string, role?: FieldRole): boolean | undefined {
    const m = this.member(key);
    if (!m || m.value.type === 'null') return undefined;
    if (role) this.record(m, role);
    if (m.value.type === 'boolean') return m.value.value;
    this.diagnostics.push(diag('error', `"${key}" must be true or false, got ${describeNode(m.value)}`, m.value));
    return undefined;
  }

  str(key: string): string | undefined {
    const m = this.member(key);
    return m?.value.type === 'string' ? m.value.value : undefined;
  }

  firstArchitecture(): string | undefined {
    const m = this.member('architectures');
    if (m?.value.type === 'array') {
      const first = m.value.items[0];
      if (first?.type === 'string') return first.value;
    }
    return undefined;
  }

  object(key: string): JsonObject | undefined {
    const m = this.member(key);
    return m?.value.type === 'object' ? m.value : undefined;
  }
}
