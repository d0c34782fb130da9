import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortedError } from '../errors.js';
import { loadVideoUpscaler, resolveModel } from './load-model.js';

describe('loadVideoUpscaler', () => {
  it('stops waiting for a load that the run has given up on, and refuses to start after the abort', async () => {
    const ac = new AbortController();
    const loading = loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, signal: ac.signal });
    // The worker threads are starting now: the abort comes in the middle of the load.
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(loading, AbortedError);
    await assert.rejects(loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, signal: ac.signal }), AbortedError);
  });

  it('without an abort, gives the upscaler', async () => {
    const upscaler = await loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, signal: new AbortController().signal });
    assert.equal(upscaler.scale, 2);
    await upscaler.dispose();
  });
});

describe('resolveModel', () => {
  it('picks sesr-int8 for live 8-bit runs on the CPU, and float sesr for files, tfjs, GPUs, deeper input or by name', () => {
    assert.equal(resolveModel({ scale: 2, device: 'cpu', live: true }).name, 'sesr-int8-x2');
    assert.equal(resolveModel({ scale: 4, backend: 'onnx', device: 'cpu', live: true }).name, 'sesr-int8-x4');
    assert.equal(resolveModel({ scale: 2, device: 'cpu', live: true, model: 'auto' }).name, 'sesr-int8-x2');
    assert.equal(resolveModel({ scale: 2, device: 'cpu' }).name, 'sesr-x2');
    assert.equal(resolveModel({ scale: 2, backend: 'tfjs', live: true }).name, 'sesr-x2');
    assert.equal(resolveModel({ scale: 2, device: 'gpu', live: true }).name, 'sesr-x2');
    assert.equal(resolveModel({ scale: 3, device: 'cpu', live: true, bitDepth: 10 }).name, 'sesr-x3');
    assert.equal(resolveModel({ scale: 2, device: 'cpu', live: true, model: 'sesr' }).name, 'sesr-x2');
  });
});
