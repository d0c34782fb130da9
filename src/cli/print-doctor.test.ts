import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DoctorReport } from '../api/doctor.js';
import { formatDoctor } from './print-doctor.js';

const report = (over: Partial<DoctorReport>): DoctorReport => ({
  ffmpeg: { error: 'not found' },
  bundled: { ffmpeg: null, version: null },
  backends: [],
  auto: 'onnxruntime-cpu',
  gpuDevice: false,
  verbose: false,
  ...over,
});

describe('formatDoctor', () => {
  it('shows a loaded backend with its time, a failed one with its reason and an untried one as not tried', () => {
    const text = formatDoctor(
      report({
        backends: [
          {
            id: 'onnxruntime-webgpu',
            device: 'gpu',
            ok: false,
            tried: false,
            reason: 'no GPU device node; `srvid doctor --verbose` tries anyway',
          },
          { id: 'tfjs-node-gpu', device: 'gpu', ok: false, tried: true, reason: 'not installed' },
          { id: 'onnxruntime-cpu', device: 'cpu', ok: true, tried: true, ms: 1.25 },
        ],
      }),
      'srvid test',
    );
    assert.match(text, /^ {2}onnxruntime-webgpu {2}gpu {2}-- {4}not tried: no GPU device node; `srvid doctor --verbose` tries anyway$/m);
    assert.match(text, /^ {2}tfjs-node-gpu {7}gpu {2}no {4}not installed$/m);
    assert.match(text, /^ {2}onnxruntime-cpu {5}cpu {2}ok {4}1\.3 ms$/m);
    assert.match(text, /^--backend auto --device auto uses: onnxruntime-cpu$/m);
  });
});
