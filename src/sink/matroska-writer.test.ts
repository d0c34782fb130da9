// Integration: ffprobe reads what the writer produces (the same stream the encoder gets on stdin).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { matroskaBlockHeader, matroskaFrameHeader, matroskaHeader } from './matroska-writer.js';

describe('matroska-writer', () => {
  it('carries size, 10-bit pixel format, colour tags and millisecond timestamps that ffprobe reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvid-mkv-'));
    try {
      const format = { width: 8, height: 6, pixFmt: 'yuv420p10le' as const };
      const bytes = 8 * 6 * 2 + 2 * (4 * 3 * 2);
      const parts = [matroskaHeader(format, { matrix: 'bt709', range: 'pc', primaries: 'bt2020', transfer: 'smpte2084' })];
      for (const pts of [0, 40, 93, 1500]) parts.push(matroskaFrameHeader(bytes, pts), new Uint8Array(bytes));
      const file = join(dir, 'x.mkv');
      writeFileSync(file, Buffer.concat(parts));
      const probe = JSON.parse(
        execFileSync('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_entries', 'packet=pts_time', file], {
          encoding: 'utf8',
        }),
      );
      const v = probe.streams[0];
      assert.deepEqual(
        [v.codec_name, v.width, v.height, v.pix_fmt, v.color_space, v.color_range, v.color_primaries, v.color_transfer],
        ['rawvideo', 8, 6, 'yuv420p10le', 'bt709', 'pc', 'bt2020', 'smpte2084'],
      );
      assert.deepEqual(
        probe.packets.map((p: { pts_time: string }) => Number(p.pts_time)),
        [0, 0.04, 0.093, 1.5],
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('carries a subtitle track: ffmpeg reads each cue back with its text, start and end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'srvid-mkv-'));
    try {
      const format = { width: 8, height: 6, pixFmt: 'yuv420p' as const };
      const bytes = 8 * 6 + 2 * (4 * 3);
      const subrip = {
        track: 3,
        type: 'subtitle' as const,
        codecId: 'S_TEXT/UTF8',
        codec: 'subrip',
        entry: Uint8Array.from([0x83, 0x81, 0x11, 0x86, 0x8b, ...Buffer.from('S_TEXT/UTF8')]),
      };
      const parts = [matroskaHeader(format, {}, [subrip])];
      const cue = (text: string, pts: number, duration: number) =>
        parts.push(matroskaBlockHeader(2, Buffer.byteLength(text), pts, true, duration), Buffer.from(text));
      for (let pts = 0; pts <= 3000; pts += 40) {
        if (pts === 520) cue('hello', 500, 1000);
        if (pts === 2000) cue('world', 2000, 1250);
        parts.push(matroskaFrameHeader(bytes, pts), new Uint8Array(bytes));
      }
      const file = join(dir, 'subs.mkv');
      writeFileSync(file, Buffer.concat(parts));
      const srt = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-map', '0:s', '-f', 'srt', '-'], { encoding: 'utf8' });
      assert.equal(srt, '1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:02,000 --> 00:00:03,250\nworld\n\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
