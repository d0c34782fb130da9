/**
 * What a segmented job is, from the request, the chosen model, the plan and the probed input: the settings
 * every worker upscales a segment with, and the journal's key (every option that changes the output).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isFullRange } from '../ingest/decoder-args.js';
import type { ResolvedModel } from '../models/resolve-model.js';
import { AUTO_MODEL, defaultModel } from '../models/registry.js';
import type { VideoInfo } from '../pipeline/ports.js';
import type { EncoderSettings } from '../sink/encoder-args.js';
import type { OptionsKey } from './journal.js';
import type { SegmentSettings } from './queue.js';

export interface JobRequest {
  readonly scale: number;
  /** The family asked for (undefined or 'auto': the default for the scale), or a model file. */
  readonly model?: string;
  readonly modelFile?: string;
  readonly segmentSeconds: number;
  /** Stop at the first decoding error; false: `--tolerate-errors`. */
  readonly strict: boolean;
}

export interface JobSpec {
  readonly settings: SegmentSettings;
  readonly options: OptionsKey;
}

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

export const jobSpec = (
  o: JobRequest,
  model: ResolvedModel,
  plan: { readonly encoder: EncoderSettings; readonly pixFmt: string; readonly muxer: string },
  info: VideoInfo,
): JobSpec => {
  const modelSha256 = sha256(model.path);
  const settings: SegmentSettings = {
    scale: o.scale,
    model: o.model !== undefined && o.model !== AUTO_MODEL ? o.model : defaultModel(o.scale),
    ...(o.modelFile ? { modelFile: model.path } : {}),
    modelSha256,
    ...plan.encoder,
    pixFmt: plan.pixFmt,
    width: info.width,
    height: info.height,
    bitDepth: info.bitDepth,
    fullRange: isFullRange(info.pixFmt, info.color.range),
    color: info.color,
  };
  // Every option that changes the output; the model by its bytes, so retrained weights never mix with old ones.
  const options: OptionsKey = {
    scale: o.scale,
    model: model.name,
    modelSha256,
    codec: plan.encoder.codec,
    crf: plan.encoder.crf,
    preset: plan.encoder.preset,
    muxer: plan.muxer,
    pixFmt: plan.pixFmt,
    segmentSeconds: o.segmentSeconds,
    tolerateErrors: !o.strict,
  };
  return { settings, options };
};
