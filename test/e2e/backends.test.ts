/** `srvid doctor`, and the CLI's --backend/--device choices on a real clip. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { killLeftovers, lines, runCli } from '../helpers/cli.js';
import { makeClip, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames } from '../helpers/probe.js';

/** The parts of `srvid doctor --json` these tests read. */
interface DoctorJson {
  readonly backends: readonly { id: string; ok: boolean; tried: boolean; reason?: string }[];
  readonly gpuDevice: boolean;
  readonly verbose: boolean;
}

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
    const json = JSON.parse((await runCli(['doctor', '--json'])).stdout) as DoctorJson;
    assert.equal(json.backends.length, 7);
    assert.equal(json.verbose, false);
    const r = await runCli(['doctor']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ffmpeg +\/\S+ \((system|bundled|option|environment)\): ffmpeg version/m);
    assert.match(r.stdout, /^ffprobe +\/\S+: ffprobe version/m);
    assert.match(r.stdout, /protocols: .*srt (yes|no)/);
    assert.match(r.stdout, /^ +onnxruntime-cpu +cpu +ok +\d+\.\d ms$/m);
    assert.match(r.stdout, /^ +tfjs-wasm +cpu +ok +\d+\.\d ms$/m);
    assert.match(r.stdout, /^ +tfjs-node +cpu +(ok +\d|no +\S)/m);
    // Without a GPU device node the GPU runtimes are not loaded (so no Dawn/Vulkan noise on stderr) unless --verbose.
    const gpuStatus = json.gpuDevice ? '(ok +\\d|no +\\S)' : '-- +not tried: no GPU device node; `srvid doctor --verbose` tries anyway$';
    for (const id of ['onnxruntime-cuda', 'onnxruntime-tensorrt', 'onnxruntime-webgpu', 'tfjs-node-gpu']) {
      assert.match(r.stdout, new RegExp(`^ +${id} +gpu +${gpuStatus}`, 'm'), id);
      assert.equal(json.backends.find((b) => b.id === id)?.tried, json.gpuDevice, id);
    }
    if (!json.gpuDevice) assert.doesNotMatch(r.stderr, /vkCreateInstance|Vulkan|XDG_RUNTIME_DIR/);
    assert.match(r.stdout, /--backend auto --device auto uses: \S+/);
  });

  it('doctor --verbose tries every backend, GPU runtimes included where no GPU device node exists', async () => {
    const r = await runCli(['doctor', '--verbose', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout) as DoctorJson;
    assert.equal(json.verbose, true);
    assert.equal(json.backends.length, 7);
    for (const b of json.backends) {
      assert.equal(b.tried, true, b.id);
      assert.ok(b.ok || (b.reason && !b.reason.includes('--verbose')), `${b.id}: ${b.reason}`);
    }
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
