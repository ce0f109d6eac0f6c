export * from './types';
export { parseConfigText, parseConfigFile, isRecognisedConfig } from './parse';
export { modelCost, visiblePairs, type LayerCost, type KindCost, type ModelCost, type CostOptions } from './cost';
export { countKinds, layerCounts, layerIndices, patternText, runsOf } from './layers';
export { inspectJson, inspectText } from './format';
export { parseJsonc, type JsonNode, type JsoncResult } from './jsonc';
export { readPythonConstants, type PyConstant } from './pythonConstants';
export { ABSURD as ABSURD_SIZES } from './checks';
export { isTrainingConfig } from './training';
