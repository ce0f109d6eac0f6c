/**
 * What a model config says about its attention, as the profiler, the CLI and the CodeLens read it.
 * Positions are 1-based (line and column as editors show them).
 */
export type Severity = 'error' | 'warning' | 'info';

export interface SourcePos {
  line: number;
  column: number;
}

export interface ConfigDiagnostic extends SourcePos {
  severity: Severity;
  message: string;
  endLine?: number;
  endColumn?: number;
}

/** Which attention quantity a field determined (lets a CodeLens pick its hint whatever the key is called). */
export type FieldRole =
  | 'heads'
  | 'kvHeads'
  | 'headDim'
  | 'layers'
  | 'hidden'
  | 'maxSeqLen'
  | 'seqLen'
  | 'batch'
  | 'window'
  | 'softcap'
  | 'causal'
  | 'imageSize'
  | 'patchSize'
  | 'neighborhood'
  | 'dtype'
  | 'model';

/** Where an attention field sits in the file (JSON key or Python constant name); the position is the key's. */
export interface FieldRef extends SourcePos {
  key: string;
  role?: FieldRole;
}

export type LayerKind = 'global' | 'local';

/** Consecutive layers of one kind. */
export interface LayerRun {
  kind: LayerKind;
  count: number;
}

export interface ModelAttention {
  /** e.g. "Qwen2ForCausalLM", "llava text_config", "clip vision_config". */
  name: string;
  /** model_type, or 'python-constants' / 'unknown'. */
  modelType: string;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  hidden: number;
  /** Longest sequence the model takes (positions table, or image tokens incl. class token). */
  maxSeqLen: number;
  /** Sequence length to analyse: training cutoff / SEQ_LEN, else maxSeqLen. */
  seqLen: number;
  batch: number;
  causal: boolean;
  /** Keys visible to a query, itself included (kernels/problem.ts convention); 0 = no window. */
  slidingWindow: number;
  /** attn_logit_softcapping; 0 = none. */
  softcap: number;
  /** 2-D neighbourhood radius a script asks for (`NEIGHBORHOOD = 5`); kernels/problem.ts states the mask. */
  neighborhood?: number;
  /**
   * Only when layers differ (Gemma-2: local/global alternating): runs of layers repeated cyclically until
   * `layers` are covered (model/layers.ts). Never one entry per layer: a config may claim 2^32 layers.
   */
  layerPattern?: LayerRun[];
  /** Why this attention cannot be represented; numbers may then be 0. */
  unsupported?: string;
  fields: FieldRef[];
  /** Bytes per element from torch_dtype; 2 when not stated. */
  dtypeBytes: number;
  /** attn_implementation / flash_attn setting when a file states one (extra, informative). */
  attnImplementation?: string;
}

export interface ParsedConfig {
  file: string;
  kind: 'hf-json' | 'python' | 'training-args';
  models: ModelAttention[];
  diagnostics: ConfigDiagnostic[];
}

/**
 * Text from a config quoted in a message, made safe to print: control characters (a terminal escape, a NUL,
 * a backspace) and bidirectional overrides are written as \u{…} escapes, never emitted raw into a terminal,
 * the Problems view or a hover.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase()}}`);
}

/** The file cannot be read or parsed at all (CLI exit 2). `message` is the bare reason. */
export class ConfigParseError extends Error {
  override name = 'ConfigParseError';
  line: number;
  column: number;
  file: string;

  constructor(message: string, line: number, column: number, file = '') {
    super(printable(message));
    this.line = line;
    this.column = column;
    this.file = file;
  }

  /** "file:line:col: message", as compilers print it. */
  describe(): string {
    return `${this.file}:${this.line}:${this.column}: ${this.message}`;
  }
}

export interface ParseOptions {
  /** Reads a file relative to the parsed file's folder; undefined when absent. Keeps the parser free of I/O. */
  readSibling?: (relPath: string) => string | undefined;
}
