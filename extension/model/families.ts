/**
 * Hugging Face class defaults per model_type, for the fields a config.json may omit (configs are saved
 * with values equal to the class default dropped). Values from transformers' configuration_*.py.
 */
export type WindowMode =
  /** sliding_window applies to every layer when set (Mistral, Mixtral, Starcoder2). */
  | 'always'
  /** Qwen2 family: only when use_sliding_window, and only layers ≥ max_window_layers. */
  | 'qwen'
  /** Gemma-2: even layers local, odd layers global. */
  | 'alternate'
  /** Phi-3: the value is flash-attn's left window (keys i−W…i), so W+1 keys are visible. */
  | 'flash-left';

export interface Family {
  label: string;
  causal: boolean;
  heads: number;
  layers: number;
  hidden: number;
  /** undefined → equal to heads (MHA). */
  kvHeads?: number;
  /** Explicit default head_dim (Gemma); undefined → hidden / heads. */
  headDim?: number;
  maxPos?: number;
  /** Vision towers: tokens = (image/patch)² + classTokens. */
  image?: { size: number; patch: number; classTokens: number };
  window?: number;
  windowMode?: WindowMode;
  softcap?: number;
  /** RoBERTa family: positions start after padding_idx, so pad_token_id + 1 slots are unusable. */
  positionOffset?: boolean;
}

import { table } from './table';

const llama: Family = { label: 'LlamaConfig', causal: true, heads: 32, layers: 32, hidden: 4096, maxPos: 2048 };
const clipVision: Family = {
  label: 'CLIPVisionConfig',
  causal: false,
  heads: 12,
  layers: 12,
  hidden: 768,
  image: { size: 224, patch: 32, classTokens: 1 },
};
const bert: Family = { label: 'BertConfig', causal: false, heads: 12, layers: 12, hidden: 768, maxPos: 512 };
const roberta: Family = { ...bert, label: 'RobertaConfig', positionOffset: true };

export const FAMILIES = table<Family>({
  llama,
  mistral: { label: 'MistralConfig', causal: true, heads: 32, layers: 32, hidden: 4096, kvHeads: 8, maxPos: 4096 * 32, window: 4096, windowMode: 'always' },
  mixtral: { label: 'MixtralConfig', causal: true, heads: 32, layers: 32, hidden: 4096, kvHeads: 8, maxPos: 4096 * 32, windowMode: 'always' },
  starcoder2: { label: 'Starcoder2Config', causal: true, heads: 24, layers: 30, hidden: 3072, kvHeads: 2, maxPos: 4096, windowMode: 'always' },
  qwen2: { label: 'Qwen2Config', causal: true, heads: 32, layers: 32, hidden: 4096, kvHeads: 32, maxPos: 32768, window: 4096, windowMode: 'qwen' },
  qwen2_moe: { label: 'Qwen2MoeConfig', causal: true, heads: 16, layers: 24, hidden: 2048, kvHeads: 16, maxPos: 32768, window: 4096, windowMode: 'qwen' },
  qwen3: { label: 'Qwen3Config', causal: true, heads: 32, layers: 32, hidden: 4096, kvHeads: 32, headDim: 128, maxPos: 32768, window: 4096, windowMode: 'qwen' },
  qwen2_vl: { label: 'Qwen2VLConfig', causal: true, heads: 64, layers: 80, hidden: 8192, kvHeads: 8, maxPos: 32768, window: 4096, windowMode: 'qwen' },
  gemma: { label: 'GemmaConfig', causal: true, heads: 16, layers: 28, hidden: 3072, kvHeads: 16, headDim: 256, maxPos: 8192 },
  gemma2: {
    label: 'Gemma2Config',
    causal: true,
    heads: 8,
    layers: 26,
    hidden: 2304,
    kvHeads: 4,
    headDim: 256,
    maxPos: 8192,
    window: 4096,
    windowMode: 'alternate',
    softcap: 50,
  },
  phi3: { label: 'Phi3Config', causal: true, heads: 32, layers: 32, hidden: 3072, maxPos: 4096, windowMode: 'flash-left' },
  phi: { label: 'PhiConfig', causal: true, heads: 32, layers: 24, hidden: 2048, maxPos: 2048 },
  gpt2: { label: 'GPT2Config', causal: true, heads: 12, layers: 12, hidden: 768, maxPos: 1024 },
  gpt_neox: { label: 'GPTNeoXConfig', causal: true, heads: 64, layers: 44, hidden: 6144, maxPos: 2048 },
  falcon: { label: 'FalconConfig', causal: true, heads: 71, layers: 32, hidden: 4544, maxPos: 2048 },
  bert,
  roberta,
  'xlm-roberta': { ...roberta, label: 'XLMRobertaConfig' },
  camembert: { ...roberta, label: 'CamembertConfig' },
  distilbert: { label: 'DistilBertConfig', causal: false, heads: 12, layers: 6, hidden: 768, maxPos: 512 },
  vit: { label: 'ViTConfig', causal: false, heads: 12, layers: 12, hidden: 768, image: { size: 224, patch: 16, classTokens: 1 } },
  clip_vision_model: clipVision,
  clip_text_model: { label: 'CLIPTextConfig', causal: true, heads: 8, layers: 12, hidden: 512, maxPos: 77 },
  siglip_vision_model: {
    label: 'SiglipVisionConfig',
    causal: false,
    heads: 12,
    layers: 12,
    hidden: 768,
    image: { size: 224, patch: 16, classTokens: 0 },
  },
  siglip_text_model: { label: 'SiglipTextConfig', causal: false, heads: 12, layers: 12, hidden: 768, maxPos: 64 },
});

/** Multimodal configs: which family each nested tower defaults to, and what an omitted tower means. */
export const TOWERS = table<Partial<Record<'text_config' | 'vision_config', { family: string; whenOmitted?: Partial<Family> }>>>({
  llava: {
    text_config: { family: 'llama' },
    // LlavaConfig builds CLIP ViT-L/14-336 when vision_config is omitted.
    vision_config: { family: 'clip_vision_model', whenOmitted: { hidden: 1024, layers: 24, heads: 16, image: { size: 336, patch: 14, classTokens: 1 } } },
  },
  llava_next: {
    text_config: { family: 'llama' },
    vision_config: { family: 'clip_vision_model', whenOmitted: { hidden: 1024, layers: 24, heads: 16, image: { size: 336, patch: 14, classTokens: 1 } } },
  },
  clip: { text_config: { family: 'clip_text_model' }, vision_config: { family: 'clip_vision_model' } },
  siglip: { text_config: { family: 'siglip_text_model' }, vision_config: { family: 'siglip_vision_model' } },
  paligemma: { text_config: { family: 'gemma' }, vision_config: { family: 'siglip_vision_model' } },
});
