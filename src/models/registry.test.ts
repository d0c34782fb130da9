import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULTS_IN_WORDS, defaultModel, findModel, INT8_FAMILIES, MODEL_FAMILIES, trainedScales } from './registry.js';

describe('model registry', () => {
  it('ships every family at every scale it names, with its metadata', () => {
    for (const family of MODEL_FAMILIES)
      for (const scale of trainedScales(family)) {
        const entry = findModel(family, scale);
        assert.equal(entry.meta.scale, scale, entry.name);
      }
  });

  it('defaults to the best-quality float family, and on the CPU provider to the int8 family trained for the scale: qsr at x2, sesr-int8 at x3 and x4', () => {
    for (const scale of [2, 3, 4]) assert.equal(defaultModel(scale), 'sesr');
    assert.deepEqual(
      [2, 3, 4].map((s) => defaultModel(s, true)),
      ['qsr', 'sesr-int8', 'sesr-int8'],
    );
    assert.ok(INT8_FAMILIES.includes('qsr') && INT8_FAMILIES.includes('sesr-int8') && !INT8_FAMILIES.includes('sesr'));
    assert.match(DEFAULTS_IN_WORDS, /^sesr, and qsr at x2, sesr-int8 at x3 and x4 for live runs on a CPU$/);
  });
});
