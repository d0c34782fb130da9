/**
 * The join of a segmented job: the upscaled segments through ffmpeg's concat demuxer, copied without
 * re-encoding, with the input's audio, subtitles, chapters and metadata muxed in whole, as a plain run's
 * encoder keeps them. Pure.
 */
import { protocolWhitelistArgs } from '../ffmpeg/protocols.js';
import type { VideoInfo } from '../pipeline/ports.js';
import { keptStreamArgs } from './encoder-args.js';

export interface JoinArgsOptions {
  readonly info: VideoInfo;
  /** The ffconcat list of upscaled segments. */
  readonly listPath: string;
  /** Where ffmpeg writes (a temporary path beside the output). */
  readonly target: string;
  readonly muxer: string;
}

export const joinArgs = (o: JoinArgsOptions): { args: string[]; warnings: string[] } => {
  const kept = keptStreamArgs(o.info, o.muxer);
  const container = o.muxer === 'mp4' || o.muxer === 'mov' ? ['-movflags', '+faststart'] : [];
  return {
    args: [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      // The input's timestamps as they are, in both inputs, as the encoder of a plain run keeps them.
      '-copyts',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      o.listPath,
      ...protocolWhitelistArgs(o.info.source),
      '-i',
      o.info.source,
      '-map',
      '0:v:0',
      ...kept.maps,
      '-c:v',
      'copy',
      ...kept.codecs,
      ...container,
      '-f',
      o.muxer,
      o.target,
    ],
    warnings: kept.warnings,
  };
};
