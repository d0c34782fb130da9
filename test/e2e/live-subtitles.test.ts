/**
 * Subtitles in live mode, with real ffmpeg on pipes and 127.0.0.1: carried where the output container holds
 * them, in sync with the video; left out with one warning where it does not; an input whose subtitle codec the
 * live decoder's Matroska pipe cannot hold still runs, the decoder started again (stdin replayed, a network
 * input reconnected). Every process is bounded in time.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CLI, killLeftovers, startCli, waitForDecoder, waitForStdinDecoder } from '../helpers/cli.js';
import { ffmpeg, ffmpegStdout, makeTempDir, type TempDir } from '../helpers/clips.js';
import { countVideoFrames, framePtsSeconds, probe } from '../helpers/probe.js';

const MODEL = fileURLToPath(new URL('../../models/espcn-light-x2.onnx', import.meta.url));
const SRT = '1\n00:00:00,500 --> 00:00:01,500\nhello\n\n2\n00:00:02,000 --> 00:00:03,000\nworld\n';

/** A moving test pattern and a tone, then `srt` as a third input; `-t` after it is an output option. */
const SOURCE = (seconds: number, size: string, rate: number, srt: string): string[] => [
  ...['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${rate}`, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'],
  ...['-i', srt, '-t', String(seconds), '-map', '0', '-map', '1', '-map', '2'],
];

/**
 * `input | srvid - OUTPUT`, with a fixed model file (no live model choice). `paceSec`: the input is written in
 * tenths over that many seconds, as a live source sends it (all at once without it).
 */
const throughStdin = async (input: string, output: string, extra: string[] = [], paceSec = 0) => {
  const srvid = spawn(process.execPath, [CLI, '-', output, '--model-file', MODEL, '-q', ...extra], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => srvid.kill('SIGKILL'), 90_000);
  const out: Buffer[] = [];
  let err = '';
  srvid.stdout!.on('data', (b: Buffer) => out.push(b));
  srvid.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
  srvid.stdin!.on('error', () => {});
  const bytes = readFileSync(input);
  if (paceSec > 0) {
    if (!extra.includes('--no-live')) await waitForStdinDecoder(srvid.pid as number);
    const step = Math.ceil(bytes.length / (paceSec * 10));
    for (let i = 0; i < bytes.length; i += step) {
      srvid.stdin!.write(bytes.subarray(i, i + step));
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const outputBeforeInputEnd = out.reduce((n, b) => n + b.length, 0);
  srvid.stdin!.end(paceSec > 0 ? undefined : bytes);
  const code = await new Promise<number | null>((resolve) => srvid.once('close', resolve));
  clearTimeout(timer);
  assert.equal(code, 0, err);
  return { stdout: Buffer.concat(out), stderr: err, outputBeforeInputEnd };
};

const types = async (file: string) => (await probe(file)).streams.map((s) => `${s.codec_type}:${s.codec_name}`);

/** The first subtitle stream's cues as ffmpeg reads them (SRT), in ms from the first video frame: sync, not offsets. */
const cuesFromVideoStart = async (file: string) => {
  const startMs = Math.round(Math.min(...(await framePtsSeconds(file))) * 1000);
  const srt = (await ffmpegStdout(['-i', file, '-map', '0:s:0', '-f', 'srt', '-'])).toString();
  const ms = (t: string) => {
    const [h, m, s, f] = t.split(/[:,]/).map(Number) as [number, number, number, number];
    return ((h * 60 + m) * 60 + s) * 1000 + f;
  };
  return [...srt.matchAll(/(\S+) --> (\S+)\n([^\n]*)/g)].map((c) => ({
    text: c[3],
    start: ms(c[1] as string) - startMs,
    end: ms(c[2] as string) - startMs,
  }));
};

/** Equal texts, and times within 2 ms (SRT's millisecond rounding on each side). */
const assertSameCues = (got: { text?: string; start: number; end: number }[], want: typeof got) => {
  assert.equal(want.length, 2);
  assert.deepEqual(
    got.map((c) => c.text),
    want.map((c) => c.text),
  );
  got.forEach((c, i) => {
    const w = want[i] as (typeof want)[number];
    assert.ok(Math.abs(c.start - w.start) <= 2 && Math.abs(c.end - w.end) <= 2, `cue ${i}: ${JSON.stringify(c)} vs ${JSON.stringify(w)}`);
  });
};

/**
 * An MPEG-TS whose MP2 audio stream is declared DVB teletext (stream type 6, a teletext descriptor in place of
 * its language descriptor, the PMT's CRC made again): the codec a broadcast input brings and Matroska cannot
 * hold. No decoder reads its payload: srvid leaves it out.
 */
const declareTeletext = (ts: Buffer): Buffer => {
  const crc32 = (b: Uint8Array): number => {
    let c = 0xffffffff;
    for (const x of b) {
      c ^= x << 24;
      for (let k = 0; k < 8; k++) c = (c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1) >>> 0;
    }
    return c >>> 0;
  };
  const out = Buffer.from(ts);
  for (let p = 0; p + 188 <= out.length; p += 188) {
    const pid = (((out[p + 1] as number) & 0x1f) << 8) | (out[p + 2] as number);
    if (pid !== 0x1000 || !((out[p + 1] as number) & 0x40)) continue; // ffmpeg's PMT, where a section starts
    const s = p + 5 + (out[p + 4] as number);
    const end = s + 3 + ((((out[s + 1] as number) & 0x0f) << 8) | (out[s + 2] as number)) - 4;
    for (let q = s + 12 + ((((out[s + 10] as number) & 0x0f) << 8) | (out[s + 11] as number)); q < end;) {
      const esInfo = (((out[q + 3] as number) & 0x0f) << 8) | (out[q + 4] as number);
      if (out[q] === 0x03 || out[q] === 0x04) {
        out[q] = 0x06;
        for (let d = q + 5; d < q + 5 + esInfo; d += 2 + (out[d + 1] as number)) if (out[d] === 0x0a) out[d] = 0x56;
      }
      q += 5 + esInfo;
    }
    out.writeUInt32BE(crc32(out.subarray(s, end)), end);
  }
  return out;
};

describe('live subtitles', () => {
  let tmp: TempDir;
  before(() => (tmp = makeTempDir('live-subs')));
  after(() => {
    killLeftovers(tmp.path);
    tmp.remove();
  });

  it(
    'Matroska with a SubRip track on stdin: to .mkv the same cues, in sync with the video; to stdout (MPEG-TS) a warning and none; --no-live keeps them',
    { timeout: 180_000 },
    async () => {
      const srt = tmp.file('subs.srt');
      writeFileSync(srt, SRT);
      const input = tmp.file('subs-in.mkv');
      const codecs = ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-c:a', 'aac', '-c:s', 'srt'];
      await ffmpeg([...SOURCE(6, '160x120', 10, srt), ...codecs, input]);
      const inputCues = await cuesFromVideoStart(input);

      const mkv = tmp.file('subs-live.mkv');
      await throughStdin(input, mkv);
      assert.deepEqual(await types(mkv), ['video:h264', 'audio:aac', 'subtitle:subrip']);
      assertSameCues(await cuesFromVideoStart(mkv), inputCues);

      // stdout is a pipe here: MPEG-TS, which holds no text subtitles. The input arrives over 6 s, and the frames
      // leave as it does: the decoder's muxer does not hold them back for the next cue (by default up to 10 s).
      const piped = tmp.file('subs-live.ts');
      const toStdout = await throughStdin(input, '-', [], 6);
      assert.ok(toStdout.outputBeforeInputEnd > 0, 'no output until the input ended: the frames waited for a cue');
      writeFileSync(piped, toStdout.stdout);
      assert.deepEqual(await types(piped), ['video:h264', 'audio:aac']);
      assert.match(
        toStdout.stderr,
        /^srvid: warning: subtitle track 1 \(subrip\) left out: MPEG-TS cannot hold text subtitles; write \.mkv \(or -f matroska\) to keep it$/m,
      );

      // --no-live spools stdin to a file and keeps every stream, the subtitles included.
      const kept = tmp.file('subs-nolive.mkv');
      await throughStdin(input, kept, ['--no-live']);
      assert.deepEqual(await types(kept), ['video:h264', 'audio:aac', 'subtitle:subrip']);
    },
  );

  it(
    'fragmented MP4 with mov_text on stdin, in real time: the decoder starts again converting it to SubRip, every frame kept',
    { timeout: 120_000 },
    async () => {
      const srt = tmp.file('movtext.srt');
      writeFileSync(srt, SRT);
      const input = tmp.file('movtext-in.mp4');
      await ffmpeg([
        ...SOURCE(3, '160x120', 10, srt),
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-c:a', 'aac', '-c:s', 'mov_text'],
        ...['-movflags', 'frag_keyframe+empty_moov', input],
      ]);
      const mkv = tmp.file('movtext-live.mkv');
      const r = await throughStdin(input, mkv, [], 3);
      assert.match(
        r.stderr,
        /^srvid: warning: subtitle stream #2 \(mov_text\) converted to SubRip: a live run carries subtitles to the encoder in Matroska, which cannot hold mov_text$/m,
      );
      assert.deepEqual(await types(mkv), ['video:h264', 'audio:aac', 'subtitle:subrip']);
      assert.equal(await countVideoFrames(mkv), await countVideoFrames(input), 'a video frame went missing');
      // ffmpeg's fragmented MP4 keeps no cue durations, so its own reading of the input is what to compare with.
      assertSameCues(await cuesFromVideoStart(mkv), await cuesFromVideoStart(input));
    },
  );

  it(
    'MPEG-TS with DVB teletext on stdin and over UDP: left out with one warning, the decoder started again, the video kept',
    { timeout: 150_000 },
    async () => {
      const clip = tmp.file('teletext-src.ts');
      await ffmpeg([
        ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '4'],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-c:a', 'mp2', '-metadata:s:a:0', 'language=deu', '-f', 'mpegts', clip],
      ]);
      const input = tmp.file('teletext.ts');
      writeFileSync(input, declareTeletext(readFileSync(clip)));
      assert.deepEqual(await types(input), ['video:h264', 'subtitle:dvb_teletext']);
      const warning =
        /^srvid: warning: subtitle stream #1 \(dvb_teletext\) left out: a live run carries subtitles to the encoder in Matroska, which cannot hold dvb_teletext, and ffmpeg cannot convert it to text$/m;

      // stdin: what the first decoder read is given again to the second one.
      const out = tmp.file('teletext-live.mkv');
      const r = await throughStdin(input, out, [], 4);
      assert.match(r.stderr, warning);
      assert.equal(r.stderr.match(/warning/g)?.length, 1, r.stderr);
      assert.deepEqual(await types(out), ['video:h264']);
      assert.equal(await countVideoFrames(out), 40, 'a video frame went missing');

      // UDP: the second decoder reconnects; what arrived meanwhile is gone, the rest is upscaled.
      const port = await new Promise<number>((resolve) => {
        const s = createSocket('udp4');
        s.bind(0, '127.0.0.1', () => {
          const { port: p } = s.address();
          s.close(() => resolve(p));
        });
      });
      const recorded = tmp.file('teletext-udp.mkv');
      const srvid = startCli([`udp://127.0.0.1:${port}`, recorded, '--model-file', MODEL, '--connect-timeout', '3', '-q'], {
        cwd: tmp.path,
      });
      await waitForDecoder(srvid.child.pid as number, `udp://127.0.0.1:${port}`); // the producer ramps up while the decoder binds the port
      await ffmpeg(['-re', '-i', input, '-map', '0', '-c', 'copy', '-f', 'mpegts', `udp://127.0.0.1:${port}?pkt_size=1316`], 60_000);
      const u = await srvid.done;
      assert.equal(u.code, 0, u.stderr);
      assert.match(u.stderr, warning);
      assert.deepEqual(await types(recorded), ['video:h264']);
      assert.ok((await countVideoFrames(recorded)) >= 10, 'the video after the reconnection is missing');
    },
  );
});
