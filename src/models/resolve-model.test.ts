import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
});
