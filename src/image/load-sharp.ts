/**
 * sharp (libvips), loaded on first use: its import costs about 0.15 s of every run's start, and only images
 * and the dashboard's previews need it. A failed load says so in one line, not as the input's or the
 * output's fault.
 */
import type sharpType from 'sharp';
import { SrvidError } from '../errors.js';

export const loadSharp = async (): Promise<typeof sharpType> => {
  try {
    return (await import('sharp')).default;
  } catch (err) {
    const why = ((err as Error).message.split('\n')[0] ?? '').trim();
    throw new SrvidError(`sharp (libvips), which srvid uses for images, cannot be loaded: ${why}; reinstall srvid (npm install)`);
  }
};
