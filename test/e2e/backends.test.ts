/** `srvid doctor`, and the CLI's --backend/--device choices on a real clip. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames } from '../helpers/probe.js';

describe('backends and srvid doctor', () => {
  let tmp: TempDir;
  let clip: string;
  before(async () => {
    tmp = makeTempDir('backends');
    clip = await makeClip(tmp.file('in.mp4'), { width: 64, height: 48, frames: 6 });
  });
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it('doctor lists ffmpeg, ffprobe and every backend with its status', async () => {
    const r = await runCli(['doctor']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ffmpeg +\/\S+ \((system|bundled|option|environment)\): ffmpeg version/m);
    assert.match(r.stdout, /^ffprobe +\/\S+: ffprobe version/m);
    assert.match(r.stdout, /protocols: .*srt (yes|no)/);
    assert.match(r.stdout, /^ +onnxruntime-cpu +cpu +ok +\d+\.\d ms$/m);
    assert.match(r.stdout, /^ +tfjs-wasm +cpu +ok +\d+\.\d ms$/m);
    for (const id of ['onnxruntime-cuda', 'onnxruntime-tensorrt', 'onnxruntime-webgpu', 'tfjs-node-gpu', 'tfjs-node']) {
      assert.match(r.stdout, new RegExp(`^ +${id} +(cpu|gpu) +(ok +\\d|no +\\S)`, 'm'), id);
    }
    assert.match(r.stdout, /--backend auto --device auto uses: \S+/);
    const json = JSON.parse((await runCli(['doctor', '--json'])).stdout);
    assert.equal(json.backends.length, 7);
  });

  it('--backend tfjs upscales with TensorFlow.js and says so in the progress line', async () => {
    const out = tmp.file('tfjs.mp4');
    const r = await runCli([clip, out, '--backend', 'tfjs']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[tfjs-(wasm|node)\]/);
    assert.equal(await countVideoFrames(out), 6);
  });

  it('--backend onnx --device cpu says onnxruntime-cpu', async () => {
    const r = await runCli([clip, tmp.file('onnx.mp4'), '--backend', 'onnx', '--device', 'cpu']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[onnxruntime-cpu, \d+ workers? × \d+ threads?\]/);
  });

  it('a bad --backend value is a one-line usage error', async () => {
    const r = await runCli([clip, tmp.file('x.mp4'), '--backend', 'cuda']);
    assert.equal(r.code, 2);
    assert.deepEqual(lines(r.stderr), ['srvid: --backend takes one of auto, onnx, tfjs, not "cuda"']);
  });
});
