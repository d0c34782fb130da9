import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ModelError } from '../errors.js';
import { findModel } from './registry.js';
import { candidatesFor, hasGpuDevice, selectBackend } from './select-backend.js';

const model = () => {
  const e = findModel('espcn', 2);
  return { path: e.path, name: e.name, scale: 2, threads: 1 };
};

describe('selectBackend', () => {
  it('orders candidates fastest first and filters by backend and device', () => {
    assert.deepEqual(
      candidatesFor('auto', 'auto').map((c) => c.id),
      ['onnxruntime-cuda', 'onnxruntime-webgpu', 'tfjs-node-gpu', 'onnxruntime-cpu', 'tfjs-node', 'tfjs-wasm'],
    );
    assert.deepEqual(
      candidatesFor('tfjs', 'cpu').map((c) => c.id),
      ['tfjs-node', 'tfjs-wasm'],
    );
    assert.deepEqual(
      candidatesFor('onnx', 'gpu').map((c) => c.id),
      ['onnxruntime-cuda', 'onnxruntime-tensorrt', 'onnxruntime-webgpu'],
    );
  });

  it('auto runs on onnxruntime-cpu on a machine without a GPU', { skip: hasGpuDevice() && 'this machine has a GPU device' }, async () => {
    const m = await selectBackend({ ...model(), backend: 'auto', device: 'auto' });
    assert.equal(m.backend, 'onnxruntime-cpu');
    await m.dispose();
  });

  it('--backend tfjs falls through to the wasm backend when tfjs-node is absent', async () => {
    const m = await selectBackend({ ...model(), backend: 'tfjs', device: 'cpu' });
    assert.match(m.backend, /^tfjs-(node|wasm)$/);
    await m.dispose();
  });

  it('an explicit GPU request that cannot be met names each runtime and what to install', { skip: hasGpuDevice() && 'this machine has a GPU device' }, async () => {
    await assert.rejects(selectBackend({ ...model(), backend: 'auto', device: 'gpu' }), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.match(e.message, /^no backend for the GPU loads/);
      assert.match(e.message, /onnxruntime-cuda: .*ONNXRUNTIME_NODE_INSTALL=cuda12/);
      assert.match(e.message, /onnxruntime-webgpu: /);
      assert.match(e.message, /tfjs-node-gpu: .*npm install @tensorflow\/tfjs-node-gpu/);
      return true;
    });
  });
});
