import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdapterSummary, dawnFlags, f16NoteFor, hasF16MatrixConfig, shaderChecksSetting } from '../../../kernels/device';

const nvidia = (driver: string, features: string[]): AdapterSummary => ({
  vendor: 'nvidia', architecture: '', device: 'nvidia-h200', description: `nvidia-h200 (driver ${driver})`, backend: 'vulkan', isFallback: false,
  features, subgroupMatrixConfigs: [], shaderChecks: false,
  limits: { maxStorageBufferBindingSize: 1, maxBufferSize: 1, maxComputeWorkgroupStorageSize: 1, maxComputeInvocationsPerWorkgroup: 1, maxComputeWorkgroupsPerDimension: 1 },
});

test('Dawn flags: the f16 toggle with allow_unsafe_apis and the shader checks off unless asked; extras merge into one enable list', () => {
  const saved = { ...process.env };
  try {
    delete process.env.ATTNPROF_F16_TOGGLE;
    delete process.env.ATTNPROF_DAWN_FLAGS;
    delete process.env.ATTNPROF_SHADER_CHECKS;
    const unchecked = 'disable_robustness,disable_workgroup_init';
    assert.deepEqual(dawnFlags(), ['disable-dawn-features=timestamp_quantization', `enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia,${unchecked}`]);
    process.env.ATTNPROF_F16_TOGGLE = '0';
    assert.deepEqual(dawnFlags({ adapterName: 'h200' }), ['disable-dawn-features=timestamp_quantization', `enable-dawn-features=${unchecked}`, 'adapter=h200']);
    assert.deepEqual(dawnFlags({ adapterName: 'h200', shaderChecks: true }), ['disable-dawn-features=timestamp_quantization', 'adapter=h200'], 'shader checks kept: no toggles');
    assert.deepEqual(dawnFlags({ f16Toggle: true }).length, 2, 'an explicit option wins over the environment');
    assert.equal(shaderChecksSetting(), undefined, 'unset: the default, decided by the adapter (openGpu)');
    process.env.ATTNPROF_SHADER_CHECKS = '1';
    assert.equal(shaderChecksSetting(), true);
    assert.deepEqual(dawnFlags(), ['disable-dawn-features=timestamp_quantization'], 'ATTNPROF_SHADER_CHECKS=1 (--shader-checks, attnprof.shaderChecks) keeps them');
    assert.equal(dawnFlags({ shaderChecks: false }).length, 2, 'an explicit option wins over the environment');
    process.env.ATTNPROF_SHADER_CHECKS = '0';
    assert.equal(shaderChecksSetting(), false);
    assert.equal(shaderChecksSetting({ shaderChecks: true }), true);
    delete process.env.ATTNPROF_SHADER_CHECKS;
    process.env.ATTNPROF_DAWN_FLAGS = 'enable-dawn-features=disable_robustness disable-dawn-features=lazy_clear_resource_on_first_use';
    delete process.env.ATTNPROF_F16_TOGGLE;
    assert.deepEqual(dawnFlags(), [
      'disable-dawn-features=timestamp_quantization,lazy_clear_resource_on_first_use',
      'enable-dawn-features=allow_unsafe_apis,vulkan_enable_f16_on_nvidia,disable_robustness,disable_workgroup_init',
    ], 'an extra already in the list is named once');
  } finally {
    process.env = saved;
  }
});

test('the adapter block says how f16 came about on NVIDIA drivers that gate it', () => {
  assert.equal(f16NoteFor(nvidia('580.159.04', ['shader-f16']), true), 'f16 enabled by Dawn toggle on driver 580.159; drivers ≥ 615.71 need none');
  assert.match(f16NoteFor(nvidia('580.159.04', []), false) ?? '', /^f16 off on driver 580\.159: the Dawn toggle is disabled/);
  assert.equal(f16NoteFor(nvidia('615.71.02', ['shader-f16']), true), undefined, 'a driver with f16 by default needs no word');
  assert.equal(f16NoteFor({ ...nvidia('1.0', ['shader-f16']), vendor: 'mesa', description: 'llvmpipe' }, true), undefined);
});

test('flash-mma needs a 16×16×16 f16→f32 subgroup-matrix configuration', () => {
  const cfg = (componentType: string, resultComponentType: string, K = 16) => ({ M: 16, N: 16, K, componentType, resultComponentType });
  assert.equal(hasF16MatrixConfig({ subgroupMatrixConfigs: [cfg('f16', 'f32')] }), true);
  assert.equal(hasF16MatrixConfig({ subgroupMatrixConfigs: [cfg('f16', 'f16'), cfg('i8', 'i32', 32)] }), false);
  assert.equal(hasF16MatrixConfig({ subgroupMatrixConfigs: [] }), false);
});
