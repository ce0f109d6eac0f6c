export * from './types';
export { parseConfigText, parseConfigFile, isRecognisedConfig } from './parse';
export { modelCost, visiblePairs, layerKinds, type LayerCost, type ModelCost, type CostOptions } from './cost';
export { inspectJson, inspectText, formatBytes, formatFlops } from './format';
export { parseJsonc, type JsonNode, type JsoncResult } from './jsonc';
export { readPythonConstants, type PyConstant } from './pythonConstants';
