/**
 * The CLI's closing quality line, from the run's summary. Each figure says what it measures: in `consistency`
 * mode the main figures are faithfulness to the input (the output downscaled back), never presented as a gain;
 * the detail estimate (shadow frames) is what says how much srvid adds over bicubic.
 */
import type { QualityMode } from '../pipeline/ports.js';
import type { SummaryMessage } from './messages.js';

const db = (v: number): string => v.toFixed(2);
const signed = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
const ssim = (v: number | null): string => (v === null ? '–' : v.toFixed(4));

/**
 * `quality (N frames): …`, or null when there is nothing to say (no metric computed, or no frame measured).
 * `run` is the run's description (mode and scale; the hello message and RunDescription have both).
 */
export const formatQualityLine = (
  summary: Pick<SummaryMessage, 'measured' | 'srvid' | 'bicubic' | 'detail'>,
  run: { readonly mode: QualityMode | null; readonly scale: number },
): string | null => {
  const sp = summary.srvid.psnr.mean;
  const bp = summary.bicubic.psnr.mean;
  if (run.mode === null || sp === null || bp === null) return null;
  const head = `quality (${summary.measured} frame${summary.measured === 1 ? '' : 's'})`;
  if (run.mode !== 'consistency') {
    return (
      `${head}: PSNR-Y ${db(sp)} dB, bicubic ${db(bp)} dB (${signed(sp - bp)}); ` +
      `SSIM-Y ${ssim(summary.srvid.ssim.mean)}, bicubic ${ssim(summary.bicubic.ssim.mean)}`
    );
  }
  // Faithfulness gets no difference: srvid's output downscales back to its input almost exactly, so the gap over
  // bicubic is large whether or not any detail was added.
  const faithfulness =
    `faithfulness to the input (output downscaled back, not detail): PSNR-Y ${db(sp)} dB vs bicubic ${db(bp)}, ` +
    `SSIM-Y ${ssim(summary.srvid.ssim.mean)} vs ${ssim(summary.bicubic.ssim.mean)}`;
  const d = summary.detail;
  const dp = d?.srvid.psnr.mean ?? null;
  const dbp = d?.bicubic.psnr.mean ?? null;
  if (!d || dp === null || dbp === null) return `${head}: no detail estimate in this run; ${faithfulness}`;
  return (
    `${head}: detail estimate (${d.frames} frame${d.frames === 1 ? '' : 's'}, each downscaled by ${run.scale}, upscaled, compared with itself): ` +
    `PSNR-Y ${db(dp)} dB vs bicubic ${db(dbp)} (${signed(dp - dbp)}), SSIM-Y ${ssim(d.srvid.ssim.mean)} vs ${ssim(d.bicubic.ssim.mean)}; ` +
    faithfulness
  );
};
