import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProtocols } from './resolve-ffmpeg.js';

// Trimmed from `ffmpeg -hide_banner -protocols` (Debian's 5.1).
const OUTPUT = `Supported file protocols:
Input:
  file
  hls
  http
  rtmp
  srt
  udp
Output:
  file
  http
  rtmp
  srt
  udp
`;

describe('parseProtocols', () => {
  it('reads the input and output lists', () => {
    const p = parseProtocols(OUTPUT);
    assert.deepEqual([...p.input], ['file', 'hls', 'http', 'rtmp', 'srt', 'udp']);
    assert.ok(!p.output.has('hls'), 'hls is input only');
    assert.ok(p.output.has('srt'));
  });
});
