import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProtocols, protocolWhitelistArgs } from './protocols.js';

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

  it('network inputs run under a whitelist without file:; files and pipes do not need one', () => {
    assert.deepEqual(protocolWhitelistArgs('in.mp4'), []);
    assert.deepEqual(protocolWhitelistArgs('pipe:0'), []);
    const [flag, list] = protocolWhitelistArgs('https://example.com/live.m3u8');
    assert.equal(flag, '-protocol_whitelist');
    assert.ok(!(list ?? '').split(',').includes('file'));
    assert.ok((list ?? '').split(',').includes('hls'));
  });
});
