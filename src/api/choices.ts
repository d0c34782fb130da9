/**
 * What a run can be asked for: scales, model families, backends, devices, the default tile and the image
 * extensions. Each is declared once in the room that owns it; this module gathers them for the CLI and for
 * library users, so neither has to reach into the adapters.
 */
import { extname } from 'node:path';
import { IMAGE_EXTENSIONS } from '../ingest/read-image.js';

export { DEFAULT_TILE_PIXELS } from '../models/espcn/upscale-frame.js';
export { checkModelFamily, checkScale, MODEL_FAMILIES, SCALES, type ModelFamily, type Scale } from '../models/registry.js';
export { BACKENDS, DEVICES, type BackendChoice, type DeviceChoice } from '../models/select-backend.js';
export { IMAGE_EXTENSIONS };

/** Whether a path names a still image (by its extension), which srvid upscales as an image, not a video. */
export const isImagePath = (path: string): boolean => IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
