/**
 * The last step of a segmented job: the upscaled segments joined by ffmpeg's concat demuxer without
 * re-encoding, the input's audio, subtitles, chapters and metadata muxed in whole, into a temporary file
 * beside the output. Its frames are counted before it is renamed into place; then the work folder goes.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { createTempFile, removeStaleTemps } from '../ffmpeg/temp-file.js';
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
  /** Awaited once the joined file is written and checked, before it is renamed into place (a test may hold it there). */
  readonly beforeRename?: () => Promise<void>;
}

export const joinSegments = async (o: JoinSegments): Promise<void> => {
  const segments = o.journal.segments ?? [];
  const listPath = join(o.dir, 'join.ffconcat');
  writeFileSync(listPath, concatList(segments.map((s) => ({ path: join(o.dir, s.output), startSec: s.startSec }))));
  // A join killed before (SIGKILL, power loss) left its temporary file; it is made again from the segments.
  removeStaleTemps(o.output);
  const temp = createTempFile(o.output); // removed at exit until committed
  try {
    const plan = joinArgs({ info: o.info, listPath, target: temp.path, muxer: o.muxer });
    for (const w of plan.warnings) o.onWarning?.(w);
    await runFfmpeg(o.tools.ffmpeg, plan.args, { what: `joining the segments into ${o.output}`, error: OutputError, signal: o.signal });
    const frames = await countVideoPackets(o.tools.ffprobe, temp.path);
    if (frames !== o.totalFrames) {
      throw new OutputError(
        `joining the segments gave ${frames} frames, not the input's ${o.totalFrames}; the segments are kept in ${o.dir}`,
      );
    }
    if (!existsSync(temp.path)) throw new OutputError(`ffmpeg wrote no ${temp.path}`);
    await o.beforeRename?.();
    temp.commit();
  } catch (err) {
    temp.abort();
    throw err;
  }
  removeWorkDir(o.dir);
};
