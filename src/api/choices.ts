/**
 * What a run can be asked for: scales, model families, backends, devices, the default tile and the image
 * extensions. Each is declared once in the room that owns it; this module gathers them for the CLI and for
 * library users, so neither has to reach into the adapters.
 */
import { extname } from 'node:path';
import { UsageError } from '../errors.js';
import { IMAGE_EXTENSIONS, UNSUPPORTED_IMAGES } from '../ingest/read-image.js';
import type { WhenBehind } from '../pipeline/operators/upscale-live.js';

export { DEFAULT_TILE_PIXELS } from '../models/espcn/upscale-frame.js';
export {
  AUTO_MODEL,
  checkModelFamily,
  checkScale,
  MODEL_FAMILIES,
  MODEL_SUMMARIES,
  DEFAULTS_IN_WORDS,
  defaultModel,
  SCALE_LIST,
  SCALES,
  type ModelFamily,
  type Scale,
} from '../models/registry.js';
export { BACKENDS, DEVICES, type BackendChoice, type DeviceChoice } from '../models/select-backend.js';
export { IMAGE_EXTENSIONS };
export { FILE_PRESET, LIVE_PRESET } from '../sink/encoder-args.js';

/** Whether a path names a still image (by its extension), which srvid upscales as an image, not a video. */
export const isImagePath = (path: string): boolean =>
  IMAGE_EXTENSIONS.has(extname(path).toLowerCase()) || UNSUPPORTED_IMAGES.has(extname(path).toLowerCase());

/** Refuses an image format srvid cannot read or write (BMP), before anything is read. */
export const checkImageFormat = (path: string): void => {
  const why = UNSUPPORTED_IMAGES.get(extname(path).toLowerCase());
  if (why) throw new UsageError(`${path}: ${why}`);
};

export type { MonitorAddress } from '../monitor/observe-run.js';

/** Live mode: what happens to a frame the network cannot upscale in time. */
export const WHEN_BEHIND = ['bicubic', 'drop'] as const satisfies readonly WhenBehind[];
export type { WhenBehind };
