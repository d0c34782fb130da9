// The benchmarks' input clips: real footage (../shared/data/video/vtest.avi, looped) when it is there, else
// ffmpeg's test pattern, scaled to the size asked for and encoded with x264 veryfast CRF 18.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const VTEST = new URL('../../shared/data/video/vtest.avi', import.meta.url).pathname;

/**
 * `frames` frames at w×h into `path`; `extra`: more output options (a keyframe interval, say); `rate`: retime
 * every frame to that rate (the street clip is 10 fps; a live bench wants 25).
 */
export const makeClip = (path: string, w: number, h: number, frames: number, extra: readonly string[] = [], rate?: number): void => {
  const input = existsSync(VTEST) ? ['-stream_loop', '-1', '-i', VTEST] : ['-f', 'lavfi', '-i', `testsrc2=size=${w}x${h}:rate=25`];
  const retime = rate ? `setpts=N/${rate}/TB,` : '';
  const r = spawnSync('ffmpeg', [
    ...['-v', 'error', '-y', ...input, '-frames:v', String(frames), '-vf', `${retime}scale=${w}:${h}:flags=bicubic,format=yuv420p`],
    ...(rate ? ['-r', String(rate)] : []),
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', ...extra, path],
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr}`);
};
