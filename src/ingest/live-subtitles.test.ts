import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decoderErrors, inputSubtitleStreams, isSubtitleFailure, nextSubtitleChoice } from './live-subtitles.js';

// Literal logs of ffmpeg 5.1 as a live decoder (`-loglevel level+info -nostats`, all subtitle streams copied).
const MOV_TEXT = `[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'pipe:0':
[info]   Metadata:
[info]     major_brand     : isom
[info]     encoder         : Lavf59.27.100
[info]   Duration: 00:00:04.02, start: 0.000000, bitrate: N/A
[info]   Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 160x120 [SAR 1:1 DAR 4:3], 269 kb/s, 24.81 fps, 25 tbr, 12800 tbn (default)
[info]   Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp, 69 kb/s (default)
[info]   Stream #0:2[0x3](eng): Subtitle: mov_text (tx3g / 0x67337874), 0 kb/s (default)
[info]     Metadata:
[info]       handler_name    : SubtitleHandler
[info] Stream mapping:
[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
[info]   Stream #0:1 -> #0:1 (aac (native) -> pcm_s16le (native))
[info]   Stream #0:2 -> #0:2 (copy)
[matroska @ 0x5572358a24c0] [error] Subtitle codec 94213 is not supported.
[error] Could not write header for output file #0 (incorrect codec parameters ?): Function not implemented
[error] Error initializing output stream 0:1 -- 
[info] Conversion failed!
`;

const TELETEXT = `[info] Input #0, mpegts, from 'pipe:0':
[info]   Duration: N/A, start: 0.851511, bitrate: N/A
[info]   Program 1 
[info]   Stream #0:0[0x100]: Video: h264 (Constrained Baseline) ([27][0][0][0] / 0x001B), yuv420p(progressive), 160x120 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn
[info]   Stream #0:1[0x101](deu): Subtitle: dvb_teletext ([6][0][0][0] / 0x0006), 492x250
[info]   Stream #0:2[0x102](deu): Subtitle: dvb_subtitle ([6][0][0][0] / 0x0006)
[info] Stream mapping:
[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
[info]   Stream #0:1 -> #0:1 (copy)
[info]   Stream #0:2 -> #0:2 (copy)
[matroska @ 0x5632f4237f00] [error] Tag [6][0][0][0] incompatible with output codec id '94215' ([0][0][0][0])
[error] Could not write header for output file #0 (incorrect codec parameters ?): Invalid data found when processing input
[error] Error initializing output stream 0:0 -- 
[info] Conversion failed!
`;

/** A run that started: its output's stream list names subtitle streams too, which are not the input's. */
const RUNNING = `[info] Input #0, matroska,webm, from 'pipe:0':
[info]   Stream #0:0: Video: h264 (Constrained Baseline), yuv420p(progressive), 160x120, 25 fps, 25 tbr, 1k tbn
[info]   Stream #0:1: Audio: aac (LC), 44100 Hz, mono, fltp
[info] Stream mapping:
[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
[info] Output #0, matroska, to 'pipe:1':
[info]   Stream #0:2: Subtitle: subrip
[error] pipe:0: Invalid data found when processing input
`;

describe('live subtitles', () => {
  it('quotes only the error lines of a decoder log, without their level tags', () => {
    assert.equal(
      decoderErrors(TELETEXT),
      "[matroska @ 0x5632f4237f00] Tag [6][0][0][0] incompatible with output codec id '94215' ([0][0][0][0])\n" +
        'Could not write header for output file #0 (incorrect codec parameters ?): Invalid data found when processing input\n' +
        'Error initializing output stream 0:0 --',
    );
    assert.equal(decoderErrors('spawn /no/ffmpeg ENOENT'), 'spawn /no/ffmpeg ENOENT', 'a process that never started');
  });

  it("reads the input's subtitle streams from its stream list, not the output's", () => {
    assert.deepEqual(inputSubtitleStreams(MOV_TEXT), [{ index: 2, type: 'subtitle', codec: 'mov_text', language: 'eng' }]);
    assert.deepEqual(
      inputSubtitleStreams(TELETEXT).map((s) => `${s.index} ${s.codec}`),
      ['1 dvb_teletext', '2 dvb_subtitle'],
    );
    assert.deepEqual(inputSubtitleStreams(RUNNING), []);
  });

  it('tells a start that failed on a subtitle stream from other failures', () => {
    assert.ok(isSubtitleFailure(MOV_TEXT, decoderErrors(MOV_TEXT)));
    assert.ok(isSubtitleFailure(TELETEXT, decoderErrors(TELETEXT)), 'the teletext message names no subtitle');
    assert.ok(!isSubtitleFailure(RUNNING, decoderErrors(RUNNING)), 'no subtitle stream in the input');
  });

  it('after copying all failed: each stream copied, converted to SubRip or left out, by the Matroska rules, and said', () => {
    const movText = nextSubtitleChoice({ kind: 'all' }, MOV_TEXT, decoderErrors(MOV_TEXT));
    assert.deepEqual(movText?.subtitles, { kind: 'chosen', streams: [{ index: 2, codec: 'srt' }] });
    assert.deepEqual(movText?.warnings, [
      'subtitle stream #2 (mov_text, eng) converted to SubRip: a live run carries subtitles to the encoder in Matroska, which cannot hold mov_text',
    ]);
    const teletext = nextSubtitleChoice({ kind: 'all' }, TELETEXT, decoderErrors(TELETEXT));
    assert.deepEqual(teletext?.subtitles, { kind: 'chosen', streams: [{ index: 2, codec: 'copy' }] }, 'DVB bitmaps stay');
    assert.deepEqual(teletext?.warnings, [
      'subtitle stream #1 (dvb_teletext, deu) left out: a live run carries subtitles to the encoder in Matroska, which cannot hold dvb_teletext, and ffmpeg cannot convert it to text',
    ]);
  });

  it('after the chosen streams failed too: none, with one warning naming them; after none: nothing left to try', () => {
    const errors = 'Subtitle encoding currently only possible from text to text or bitmap to bitmap';
    const none = nextSubtitleChoice({ kind: 'chosen', streams: [{ index: 2, codec: 'copy' }] }, TELETEXT, errors);
    assert.deepEqual(none?.subtitles, { kind: 'none' });
    assert.deepEqual(none?.warnings, [
      `subtitle stream #2 (dvb_subtitle) left out: ffmpeg could not put it in srvid's live pipe (ffmpeg: ${errors}); --no-live keeps the subtitles the output can hold`,
    ]);
    assert.equal(nextSubtitleChoice({ kind: 'none' }, TELETEXT, errors), null);
  });
});
