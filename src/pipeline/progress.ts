import type { Progress } from './ports.js';

/** Frames per second and ETA from frame completions. Pure apart from the clock it is given. */
export const createProgressMeter = (totalFrames: number | null, now: () => number = () => performance.now()) => {
  const start = now();
  let frames = 0;
  return (): Progress => {
    frames++;
    const elapsedSec = (now() - start) / 1000;
    const fps = elapsedSec > 0 ? frames / elapsedSec : 0;
    const etaSec = totalFrames && fps > 0 ? Math.max(0, (totalFrames - frames) / fps) : null;
    return { frames, totalFrames, fps, elapsedSec, etaSec };
  };
};
