import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultModel, findModel, INT8_FAMILIES, MODEL_FAMILIES, trainedScales } from './registry.js';

describe('model registry', () => {
  it('ships every family at every scale it names, with its metadata', () => {
    for (const family of MODEL_FAMILIES)
      for (const scale of trainedScales(family)) {
        const entry = findModel(family, scale);
        assert.equal(entry.meta.scale, scale, entry.name);
      }
  });

  it('defaults to the best-quality float family, and on the CPU provider to its int8 twin', () => {
    for (const scale of [2, 3, 4]) {
      assert.equal(defaultModel(scale), 'sesr');
      assert.equal(defaultModel(scale, true), 'sesr-int8');
    }
    assert.ok(INT8_FAMILIES.includes('sesr-int8') && !INT8_FAMILIES.includes('sesr'));
  });
});
