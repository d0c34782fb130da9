/**
 * The last step of a segmented job: the upscaled segments joined by ffmpeg's concat demuxer without
 * re-encoding, the input's audio, subtitles, chapters and metadata muxed in whole, into a temporary file
 * beside the output. Its frames are counted before it is renamed into place; then the work folder goes.
 */
import { existsSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { OutputError } from '../errors.js';
import type { FfmpegTools } from '../ffmpeg/resolve-ffmpeg.js';
import { countVideoPackets, runFfmpeg } from '../ffmpeg/run-tool.js';
import { concatList } from '../ffmpeg/segment-args.js';
import type { Journal } from './journal.js';
import { removeWorkDir } from './work-dir.js';
import type { VideoInfo } from '../pipeline/ports.js';
import { joinArgs } from '../sink/join-args.js';

export interface JoinSegments {
  readonly dir: string;
  readonly journal: Journal;
  readonly info: VideoInfo;
  readonly muxer: string;
  readonly output: string;
  readonly tools: FfmpegTools;
  readonly totalFrames: number;
  readonly signal?: AbortSignal;
  readonly onWarning?: (message: string) => void;
}

/**
 * A test-only hook: SRVID_TEST_HOLD_JOIN=1 holds the run once the joined file is written and before it is
 * moved into place, announced as a warning, so a test can kill srvid in the middle of the join. Unset, nothing.
 */
const holdJoinForTests = async (say?: (message: string) => void): Promise<void> => {
  if (process.env.SRVID_TEST_HOLD_JOIN !== '1') return;
  say?.('test hold: the join waits before the rename (SRVID_TEST_HOLD_JOIN)');
  await new Promise<void>((resolve) => setTimeout(resolve, 60_000));
};

export const joinSegments = async (o: JoinSegments): Promise<void> => {
  const segments = o.journal.segments ?? [];
  const listPath = join(o.dir, 'join.ffconcat');
  writeFileSync(listPath, concatList(segments.map((s) => ({ path: join(o.dir, s.output), startSec: s.startSec }))));
  const final = resolve(o.output);
  const temp = join(dirname(final), `.${basename(final, extname(final))}.srvid-join-${process.pid}.partial${extname(final)}`);
  const removeTemp = (): void => rmSync(temp, { force: true });
  // A join killed before (SIGKILL, power loss) left its temporary file; it is made again from the segments.
  const stale = `.${basename(final, extname(final))}.srvid-join-`;
  for (const n of readdirSync(dirname(final)))
    if (n.startsWith(stale) && n.includes('.partial')) rmSync(join(dirname(final), n), { force: true });
  process.on('exit', removeTemp);
  try {
    const plan = joinArgs({ info: o.info, listPath, target: temp, muxer: o.muxer });
    for (const w of plan.warnings) o.onWarning?.(w);
    await runFfmpeg(o.tools.ffmpeg, plan.args, {
      what: `joining the segments into ${o.output}`,
      error: OutputError,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const frames = await countVideoPackets(o.tools.ffprobe, temp);
    if (frames !== o.totalFrames) {
      throw new OutputError(
        `joining the segments gave ${frames} frames, not the input's ${o.totalFrames}; the segments are kept in ${o.dir}`,
      );
    }
    if (!existsSync(temp)) throw new OutputError(`ffmpeg wrote no ${temp}`);
    await holdJoinForTests(o.onWarning);
    renameSync(temp, final);
  } catch (err) {
    removeTemp();
    throw err;
  } finally {
    process.off('exit', removeTemp);
  }
  removeWorkDir(o.dir);
};
