import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AbortedError } from '../errors.js';
import { loadVideoUpscaler } from './load-upscaler.js';

describe('loadVideoUpscaler', () => {
  it('stops waiting for a load that the run has given up on, and refuses to start after the abort', async () => {
    const ac = new AbortController();
    const loading = loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, threads: 0, backend: 'auto', device: 'auto', signal: ac.signal });
    // The worker threads are starting now: the abort comes in the middle of the load.
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(loading, AbortedError);
    await assert.rejects(loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, threads: 0, backend: 'auto', device: 'auto', signal: ac.signal }), AbortedError);
  });

  it('without an abort, gives the upscaler', async () => {
    const upscaler = await loadVideoUpscaler({ model: 'espcn', scale: 2, workers: 1, threads: 0, backend: 'auto', device: 'auto', signal: new AbortController().signal });
    assert.equal(upscaler.scale, 2);
    await upscaler.dispose();
  });
});
