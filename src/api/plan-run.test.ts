import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../errors.js';
import type { VideoInfo } from '../pipeline/ports.js';
import { planMuxer, planRun, type RunRequest } from './plan-run.js';

const info = (over: Partial<VideoInfo> = {}): VideoInfo => ({
  source: 'in.mp4',
  formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
  width: 641,
  height: 360,
  pixFmt: 'yuv420p',
  bitDepth: 8,
  frameRate: 25,
  timeBase: '1/12800',
  durationSec: 2,
  frameCount: 50,
  rotation: 0,
  color: {},
  videoStreamIndex: 0,
  streams: [],
  chapterCount: 0,
  ...over,
});

const request = (over: Partial<RunRequest> = {}): RunRequest => ({
  output: 'out.mp4',
  scale: 2,
  crf: 18,
  maxFramesInFlight: 8,
  live: false,
  stdoutIsFile: false,
  measure: false,
  detailEvery: 10,
  ...over,
});

describe('planRun', () => {
  it('a plain run: the input size upscaled, mp4 with x264 CRF 18 medium, 8 frames in flight, no metrics', () => {
    const p = planRun(request(), info(), 5);
    assert.equal(p.mode, null);
    assert.deepEqual(p.modelInputSize, { width: 641, height: 360 });
    assert.deepEqual(p.outputSize, { width: 1282, height: 720 });
    assert.equal(p.pixFmt, 'yuv420p');
    assert.equal(p.muxer, 'mp4');
    assert.deepEqual(p.encoder, { codec: 'libx264', crf: 18, preset: 'medium' });
    assert.equal(p.framesInFlight, 8);
    assert.equal(p.detailEvery, 0);
    assert.equal(p.referenceLabel, null);
    assert.deepEqual(p.warnings, []);
  });

  it('self mode: the model sees the input downscaled (floored), the output is the reconstruction at scale × that', () => {
    const p = planRun(request({ reference: 'self', scale: 3 }), info(), 5);
    assert.equal(p.mode, 'self');
    assert.deepEqual(p.modelInputSize, { width: 213, height: 120 });
    assert.deepEqual(p.outputSize, { width: 639, height: 360 });
    assert.equal(p.detailEvery, 0, 'self mode measures every frame already');
    assert.match(p.referenceLabel!, /against the input itself/);
    assert.throws(() => planRun(request({ reference: 'self', scale: 4 }), info({ width: 30, height: 30 }), 5), UsageError);
  });

  it('consistency mode is labelled faithfulness, with a detail estimate every Nth frame when the frame allows it', () => {
    const p = planRun(request({ measure: true, detailEvery: 5 }), info(), 5);
    assert.equal(p.mode, 'consistency');
    assert.equal(p.detailEvery, 5);
    assert.match(p.referenceLabel!, /faithfulness to the input, not detail; detail estimated on every 5th frame/);
    assert.equal(planRun(request({ measure: true, detailEvery: 0 }), info(), 5).detailEvery, 0);
    assert.equal(planRun(request({ measure: true }), info({ width: 12, height: 12 }), 5).detailEvery, 0, 'too small to downscale');
  });

  it('a reference video', () => {
    const p = planRun(request({ reference: 'hr.mp4' }), info(), 5);
    assert.equal(p.mode, 'reference');
    assert.equal(p.referenceLabel, 'against hr.mp4, frames paired by timestamp');
  });

  it('10-bit input: 10-bit pipes with ffmpeg ≥ 5, 8-bit with a warning before; non-4:2:0 input is converted with a warning', () => {
    assert.equal(planRun(request(), info({ bitDepth: 10, pixFmt: 'yuv420p10le' }), 5).pixFmt, 'yuv420p10le');
    const old = planRun(request(), info({ bitDepth: 10, pixFmt: 'yuv420p10le' }), 4);
    assert.equal(old.pixFmt, 'yuv420p');
    assert.match(old.warnings.join('\n'), /10-bit input is processed as 8-bit/);
    assert.match(planRun(request(), info({ pixFmt: 'yuv444p' }), 5).warnings.join('\n'), /yuv444p input is converted to yuv420p/);
  });

  it('interlaced input: a warning naming the field order that suggests deinterlacing first', () => {
    const [top] = planRun(request(), info({ fieldOrder: 'tt' }), 5).warnings;
    assert.match(top ?? '', /^the input is interlaced \(top field first\): .*deinterlace it first, e\.g\. ffmpeg -i IN -vf yadif/);
    assert.match(planRun(request(), info({ fieldOrder: 'tb' }), 5).warnings.join('\n'), /interlaced \(bottom field first\)/);
    assert.deepEqual(planRun(request(), info(), 5).warnings, [], 'progressive: no warning');
  });

  it('encoder settings and frames in flight follow the request; WebM defaults to VP9', () => {
    const p = planRun(request({ output: 'o.webm', crf: 30, preset: 'fast', maxFramesInFlight: 1 }), info(), 5);
    assert.deepEqual(p.encoder, { codec: 'libvpx-vp9', crf: 30, preset: 'fast' });
    assert.equal(p.framesInFlight, 2, 'never fewer than two');
  });
});

describe('planRun size limit', () => {
  it('refuses an output larger than ffmpeg can encode, before anything runs', () => {
    assert.throws(
      () => planRun(request({ scale: 2 }), info({ width: 8192, height: 8192 }), 5),
      /8192x8192 upscaled x2 is 16384x16384, larger than ffmpeg can encode/,
    );
    assert.doesNotThrow(() => planRun(request({ scale: 2 }), info({ width: 3840, height: 2160 }), 5));
  });
});

describe('planMuxer', () => {
  it('from --format, stdout, or the extension; refuses an unknown extension', () => {
    assert.equal(planMuxer('-'), 'matroska');
    assert.equal(planMuxer('-', 'mpegts'), 'mpegts');
    assert.equal(planMuxer('a.mkv'), 'matroska');
    assert.throws(() => planMuxer('a.xyz'), /cannot tell the container from "a\.xyz"/);
  });
});
