/** srvid's library API. The CLI (`srvid`) is a thin shell over these. */
export { formatQualityLine, upscaleVideo, type UpscaleVideoOptions, type UpscaleVideoResult } from './api/upscale-video.js';
export type { MonitorOptions } from './monitor/observe-run.js';
export { upscaleSegmented, type UpscaleSegmentedOptions, type SegmentStatus } from './api/upscale-segmented.js';
export { runWorker, type RunWorkerOptions } from './api/run-worker.js';
export { upscaleImage, type UpscaleImageOptions } from './api/upscale-image.js';
export {
  evaluateImages,
  evaluateLuma,
  type EvalResult,
  type EvalRow,
  type EvalScores,
  type EvaluateOptions,
} from './api/evaluate-images.js';
export { diagnose, type DoctorReport } from './api/doctor.js';
export * from './api/choices.js';
export { RUN_DEFAULTS } from './api/run-options.js';
export * from './errors.js';
export type { Frame, FrameFormat, PixelFormat, Plane } from './pipeline/frame.js';
export type { FrameReport, FrameSink, FrameSource, LumaModel, Progress, Upscaler, UpscalerRuntime, VideoInfo } from './pipeline/ports.js';
export type { RunDescription, SummaryMessage, FrameMessage, HelloMessage, MonitorMessage } from './monitor/messages.js';
