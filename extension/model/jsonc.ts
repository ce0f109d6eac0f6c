/**
 * A JSON-with-comments reader that keeps every value's position, so diagnostics and CodeLens can point at
 * the exact key or value. Accepts // and /* *\/ comments, trailing commas and Python's json extensions
 * (NaN, Infinity) because real config.json files are written by json.dumps; reports each leniency so a
 * `.json` that Hugging Face's loader would reject still gets a warning.
 */
import { ConfigParseError } from './types';

export interface Span {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export type JsonNode =
  | ({ type: 'object'; members: Map<string, JsonMember> } & Span)
  | ({ type: 'array'; items: JsonNode[] } & Span)
  | ({ type: 'string'; value: string } & Span)
  | ({ type: 'number'; value: number; raw: string } & Span)
  | ({ type: 'boolean'; value: boolean } & Span)
  | ({ type: 'null' } & Span);

export type JsonObject = Extract<JsonNode, { type: 'object' }>;

export interface JsonMember {
  key: string;
  keySpan: Span;
  value: JsonNode;
}

export interface Leniency {
  kind: 'comment' | 'trailing-comma' | 'non-finite-number' | 'duplicate-key';
  line: number;
  column: number;
  detail?: string;
}

export interface JsoncResult {
  root: JsonNode;
  leniencies: Leniency[];
}

const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

/** Deeper nesting than this is hostile input, not a config; refusing keeps recursion off the stack limit. */
const MAX_DEPTH = 256;

export function parseJsonc(text: string): JsoncResult {
  return new JsoncParser(text).parseDocument();
}

class JsoncParser {
  private pos = 0;
  private line = 1;
  private col = 1;
  readonly leniencies: Leniency[] = [];

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) {
      this.pos = 1;
    }
  }

  parseDocument(): JsoncResult {
    this.skipTrivia();
    if (this.pos >= this.text.length) this.fail('empty file: expected a JSON object');
    const root = this.parseValue(0);
    this.skipTrivia();
    if (this.pos < this.text.length) this.fail(`unexpected ${this.describeHere()} after the end of the JSON value`);
    return { root, leniencies: this.leniencies };
  }

  private fail(message: string, line = this.line, column = this.col): never {
    throw new ConfigParseError(message, line, column);
  }

  private describeHere(): string {
    if (this.pos >= this.text.length) return 'end of file';
    const ch = this.text[this.pos];
    if (ch === '\0') return "a NUL character (is the file UTF-16? save it as UTF-8)";
    const code = ch.charCodeAt(0);
    // Control characters are named by code, never printed raw into a terminal or the Problems view.
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
    return /\s/.test(ch) ? 'whitespace' : `'${ch}'`;
  }

  private advance(n = 1): void {
    for (let i = 0; i < n && this.pos < this.text.length; i++) {
      const c = this.text.charCodeAt(this.pos++);
      if (c === 10) {
        this.line++;
        this.col = 1;
      } else if (c === 13) {
        if (this.text.charCodeAt(this.pos) !== 10) {
          this.line++;
          this.col = 1;
        }
      } else {
        this.col++;
      }
    }
  }

  private skipTrivia(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.advance();
      } else if (c === '/' && this.text[this.pos + 1] === '/') {
        this.leniencies.push({ kind: 'comment', line: this.line, column: this.col });
        while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.advance();
      } else if (c === '/' && this.text[this.pos + 1] === '*') {
        const line = this.line;
        const column = this.col;
        this.leniencies.push({ kind: 'comment', line, column });
        this.advance(2);
        while (this.pos < this.text.length && !(this.text[this.pos] === '*' && this.text[this.pos + 1] === '/')) {
          this.advance();
        }
        if (this.pos >= this.text.length) this.fail('unterminated /* comment', line, column);
        this.advance(2);
      } else {
        return;
      }
    }
  }

  private start(): { line: number; column: number } {
    return { line: this.line, column: this.col };
  }

  private parseValue(depth: number): JsonNode {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`);
    const c = this.text[this.pos];
    if (c === '{') return this.parseObject(depth);
    if (c === '[') return this.parseArray(depth);
    if (c === '"') {
      const s = this.start();
      const value = this.parseString();
      return { type: 'string', value, line: s.line, column: s.column, endLine: this.line, endColumn: this.col };
    }
    if (c === '-' || (c >= '0' && c <= '9') || c === 'N' || c === 'I') return this.parseNumber();
    const s = this.start();
    for (const [word, node] of [
      ['true', { type: 'boolean', value: true }],
      ['false', { type: 'boolean', value: false }],
      ['null', { type: 'null' }],
    ] as const) {
      if (this.text.startsWith(word, this.pos) && !/[A-Za-z0-9_]/.test(this.text[this.pos + word.length] ?? '')) {
        this.advance(word.length);
        return (node.type === 'null' ? { type: 'null', line: s.line, column: s.column, endLine: this.line, endColumn: this.col } : { type: 'boolean', value: node.value, line: s.line, column: s.column, endLine: this.line, endColumn: this.col }) as JsonNode;
      }
    }
    if (this.pos >= this.text.length) this.fail('unexpected end of file: expected a value (is the file truncated?)');
    if (c === "'") this.fail("strings must use double quotes, not '");
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.pos, this.pos + 40));
    if (word) this.fail(`unexpected word '${word[0]}': expected a value (strings need double quotes)`);
    this.fail(`unexpected ${this.describeHere()}: expected a value`);
  }

  private parseObject(depth: number): JsonNode {
    const s = this.start();
    this.advance();
    const members = new Map<string, JsonMember>();
    this.skipTrivia();
    let first = true;
    for (;;) {
      this.skipTrivia();
      if (this.text[this.pos] === '}') {
        this.advance();
        return { type: 'object', members, line: s.line, column: s.column, endLine: this.line, endColumn: this.col };
      }
      if (!first) {
        if (this.text[this.pos] !== ',') {
          if (this.pos >= this.text.length) this.fail("unexpected end of file: expected ',' or '}' (is the file truncated?)");
          this.fail(`expected ',' or '}' but found ${this.describeHere()}`);
        }
        const commaLine = this.line;
        const commaCol = this.col;
        this.advance();
        this.skipTrivia();
        if (this.text[this.pos] === '}') {
          this.leniencies.push({ kind: 'trailing-comma', line: commaLine, column: commaCol });
          continue;
        }
      }
      first = false;
      if (this.pos >= this.text.length) this.fail("unexpected end of file: expected a key or '}' (is the file truncated?)");
      if (this.text[this.pos] !== '"') this.fail(`expected a double-quoted key but found ${this.describeHere()}`);
      const ks = this.start();
      const key = this.parseString();
      // Explicit fields, not object spread: spreading here cost most of the parse of a 50 000-key object.
      const keySpan = { line: ks.line, column: ks.column, endLine: this.line, endColumn: this.col };
      this.skipTrivia();
      if (this.text[this.pos] !== ':') {
        if (this.pos >= this.text.length) this.fail("unexpected end of file: expected ':' (is the file truncated?)");
        this.fail(`expected ':' after key "${key}" but found ${this.describeHere()}`);
      }
      this.advance();
      this.skipTrivia();
      const value = this.parseValue(depth + 1);
      if (members.has(key)) {
        this.leniencies.push({ kind: 'duplicate-key', line: ks.line, column: ks.column, detail: key });
        members.delete(key); // Python's json keeps the last one; re-insert to keep source order
      }
      members.set(key, { key, keySpan, value });
    }
  }

  private parseArray(depth: number): JsonNode {
    const s = this.start();
    this.advance();
    const items: JsonNode[] = [];
    let first = true;
    for (;;) {
      this.skipTrivia();
      if (this.text[this.pos] === ']') {
        this.advance();
        return { type: 'array', items, line: s.line, column: s.column, endLine: this.line, endColumn: this.col };
      }
      if (!first) {
        if (this.text[this.pos] !== ',') {
          if (this.pos >= this.text.length) this.fail("unexpected end of file: expected ',' or ']' (is the file truncated?)");
          this.fail(`expected ',' or ']' but found ${this.describeHere()}`);
        }
        const commaLine = this.line;
        const commaCol = this.col;
        this.advance();
        this.skipTrivia();
        if (this.text[this.pos] === ']') {
          this.leniencies.push({ kind: 'trailing-comma', line: commaLine, column: commaCol });
          continue;
        }
      }
      first = false;
      if (this.pos >= this.text.length) this.fail("unexpected end of file: expected a value or ']' (is the file truncated?)");
      items.push(this.parseValue(depth + 1));
    }
  }

  /**
   * A string scanned by character code, copied a run at a time: a per-character `out += c` made a 7 MiB
   * string cost a second and a half of allocation. Strings hold no line break, so the column moves by the
   * number of code units read.
   */
  private parseString(): string {
    const line = this.line;
    const column = this.col;
    const text = this.text;
    let i = this.pos + 1;
    let out = '';
    let run = i;
    for (;;) {
      if (i >= text.length) this.fail('unterminated string (is the file truncated?)', line, column);
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(run, i);
        i++;
        break;
      }
      if (c === 10 || c === 13) this.fail('unterminated string: line break inside a string', line, column);
      if (c === 92) {
        out += text.slice(run, i);
        const e = text[i + 1];
        const simple = e === undefined ? undefined : ESCAPES.get(e);
        if (simple !== undefined) {
          out += simple;
          i += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else {
          this.fail(`invalid escape '\\${e ?? ''}' in string`, line, column + (i - this.pos));
        }
        run = i;
        continue;
      }
      i++;
    }
    this.col += i - this.pos;
    this.pos = i;
    return out;
  }

  private parseNumber(): JsonNode {
    const s = this.start();
    const rest = this.text.slice(this.pos, this.pos + 400);
    const special = /^-?(NaN|Infinity)/.exec(rest);
    if (special) {
      this.advance(special[0].length);
      this.leniencies.push({ kind: 'non-finite-number', line: s.line, column: s.column, detail: special[0] });
      const value = special[1] === 'NaN' ? NaN : special[0].startsWith('-') ? -Infinity : Infinity;
      return { type: 'number', value, raw: special[0], line: s.line, column: s.column, endLine: this.line, endColumn: this.col };
    }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(rest);
    if (!m) this.fail(`invalid number starting with ${this.describeHere()}`);
    this.advance(m[0].length);
    if (/^[0-9.eE]/.test(this.text[this.pos] ?? '')) this.fail(`invalid number '${m[0]}${this.text[this.pos]}…'`, s.line, s.column);
    return { type: 'number', value: Number(m[0]), raw: m[0], line: s.line, column: s.column, endLine: this.line, endColumn: this.col };
  }
}
