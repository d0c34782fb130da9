import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { concatList, cutArgs, parseSegmentList } from './segment-args.js';

describe('segment arguments', () => {
  it('cuts the video stream alone by stream copy, keeping timestamps', () => {
    const args = cutArgs({
      input: 'in.mp4',
      videoStreamIndex: 1,
      seconds: 10,
      pattern: '/w/cut/src-%05d.mkv',
      listPath: '/w/cut/list.csv',
    });
    assert.deepEqual(args.slice(args.indexOf('-copyts')), [
      '-copyts',
      '-i',
      'in.mp4',
      '-map',
      '0:1',
      '-c',
      'copy',
      '-f',
      'segment',
      '-segment_time',
      '10',
      '-segment_format',
      'matroska',
      '-segment_list',
      '/w/cut/list.csv',
      '-segment_list_type',
      'csv',
      '/w/cut/src-%05d.mkv',
    ]);
  });

  it('reads the segment muxer list as ffmpeg 5.1 writes it', () => {
    const csv = 'src-00000.mkv,0.000000,1.600000\nsrc-00001.mkv,1.600000,3.200000\nsrc-00002.mkv,3.200000,4.000000\n';
    assert.deepEqual(parseSegmentList(csv), [
      { file: 'src-00000.mkv', startSec: 0, endSec: 1.6 },
      { file: 'src-00001.mkv', startSec: 1.6, endSec: 3.2 },
      { file: 'src-00002.mkv', startSec: 3.2, endSec: 4 },
    ]);
    assert.throws(() => parseSegmentList('garbage\n'), /unexpected line/);
  });

  it("joins with the first file's own timestamps and each duration up to the next start", () => {
    const list = concatList([
      { path: '/w/up-00000.mkv', startSec: 0 },
      { path: "/w/it's/up-00001.mkv", startSec: 1.023 },
      { path: '/w/up-00002.mkv', startSec: 2.023 },
    ]);
    assert.equal(
      list,
      "ffconcat version 1.0\nfile '/w/up-00000.mkv'\ninpoint 0\nduration 1.023000\nfile '/w/it'\\''s/up-00001.mkv'\nduration 1.000000\nfile '/w/up-00002.mkv'\n",
    );
  });
});
