/**
 * The work folder of a segmented job, beside the output (`out.mp4` → `out.mp4.srvid/`): the journal, the cut
 * segments (`src-00003.mkv`), the upscaled segments (`up-00003.mkv`) and the join list. It must be on storage
 * every worker can reach when the job runs through a queue.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

export const workDirFor = (output: string): string => join(dirname(resolve(output)), `${basename(output)}.srvid`);

/** Where the cutter writes; renamed segment by segment into the journal only once the cut is complete. */
export const CUT_DIR = 'cut';
export const sourceName = (index: number): string => `${CUT_DIR}/src-${String(index).padStart(5, '0')}.mkv`;
export const upscaledName = (index: number): string => `up-${String(index).padStart(5, '0')}.mkv`;

export const ensureWorkDir = (dir: string): void => void mkdirSync(dir, { recursive: true });

/** Removes what a killed run left half-written: the encoder's temporary files and journal temporaries. */
export const removePartials = (dir: string): string[] => {
  if (!existsSync(dir)) return [];
  const removed = readdirSync(dir).filter((n) => n.includes('.partial') || n.endsWith('.tmp'));
  for (const n of removed) rmSync(join(dir, n), { force: true });
  return removed;
};

export const removeWorkDir = (dir: string): void => {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    process.emitWarning(`could not remove ${dir}: ${(err as Error).message}`);
  }
};
