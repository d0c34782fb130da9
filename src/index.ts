/** srvid's library API. The CLI (`srvid`) is a thin shell over these. */
export { upscaleVideo, type UpscaleVideoOptions, type UpscaleVideoResult } from './api/upscale-video.js';
export { upscaleImage, type UpscaleImageOptions } from './api/upscale-image.js';
export { evaluateImages, evaluateLuma, type EvalResult, type EvalRow, type EvaluateOptions } from './api/evaluate-images.js';
export * from './errors.js';
export type { Frame, FrameFormat, PixelFormat, Plane } from './pipeline/frame.js';
export type { FrameSink, FrameSource, LumaModel, Progress, Upscaler, VideoInfo } from './pipeline/ports.js';
