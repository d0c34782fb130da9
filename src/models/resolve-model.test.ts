import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelError } from '../errors.js';
import { findModel } from './registry.js';
import { resolveModel } from './resolve-model.js';

/** The run defaults of the runtime choice; each case overrides what it names. */
const AUTO = { threads: 0, backend: 'auto', device: 'auto' } as const;

describe('resolveModel', () => {
  it('picks qsr (x2) or sesr-int8 for live 8-bit runs on the CPU, and float sesr for files, tfjs, GPUs, deeper input or by name', () => {
    assert.equal(resolveModel({ ...AUTO, scale: 2, device: 'cpu', live: true }).name, 'qsr-x2');
    assert.equal(resolveModel({ ...AUTO, scale: 4, backend: 'onnx', device: 'cpu', live: true }).name, 'sesr-int8-x4');
    assert.equal(resolveModel({ ...AUTO, scale: 2, device: 'cpu', live: true, model: 'auto' }).name, 'qsr-x2');
    assert.equal(resolveModel({ ...AUTO, scale: 2, device: 'cpu' }).name, 'sesr-x2');
    assert.equal(resolveModel({ ...AUTO, scale: 2, backend: 'tfjs', live: true }).name, 'sesr-x2');
    assert.equal(resolveModel({ ...AUTO, scale: 2, device: 'gpu', live: true }).name, 'sesr-x2');
    assert.equal(resolveModel({ ...AUTO, scale: 3, device: 'cpu', live: true, bitDepth: 10 }).name, 'sesr-x3');
    assert.equal(resolveModel({ ...AUTO, scale: 2, device: 'cpu', live: true, model: 'sesr' }).name, 'sesr-x2');
  });

  it("reads a recurrent model's motion search from its metadata, none for one trained without, and refuses one it does not know", () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvid-motion-meta-'));
    try {
      const shipped = findModel('rvsr', 2);
      const file = join(dir, 'aligned.onnx');
      copyFileSync(shipped.path, file);
      const meta = JSON.parse(readFileSync(shipped.path.replace(/\.onnx$/, '.json'), 'utf8')) as Record<string, unknown>;
      for (const scale of [2, 4]) assert.deepEqual(resolveModel({ ...AUTO, scale, model: 'rvsr' }).motion, { radius: 3, stride: 2, block: 48, refine: 'cubic', gate: 0.5 }, `the shipped rvsr-x${scale}`);
      const { motion: _, ...unaligned } = meta;
      writeFileSync(join(dir, 'aligned.json'), JSON.stringify(unaligned));
      assert.equal(resolveModel({ ...AUTO, scale: 2, modelFile: file }).motion, null, 'a model trained with an unmoved past');
      writeFileSync(join(dir, 'aligned.json'), JSON.stringify({ ...meta, motion: { estimator: 'global-shift', radius: 3, stride: 2 } }));
      const resolved = resolveModel({ ...AUTO, scale: 2, modelFile: file });
      assert.equal(resolved.recurrent, true);
      assert.deepEqual(resolved.motion, { radius: 3, stride: 2, refine: 'parabola' }, 'exported before the refinement was named');
      writeFileSync(join(dir, 'aligned.json'), JSON.stringify({ ...meta, motion: { estimator: 'flow', radius: 3, stride: 2 } }));
      assert.throws(() => resolveModel({ ...AUTO, scale: 2, modelFile: file }), ModelError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
