// Prints the README's quality table: `srvid eval` on Set5 and Set14 at x2/x3/x4 next to published numbers.
//   npm run quality-table   (needs ../shared/data/val)
import { evaluateImages } from '../src/api/evaluate-images.js';

const VAL = new URL('../../shared/data/val/', import.meta.url).pathname;
const SETS = ['Set5', 'Set14'] as const;
const SCALES = [2, 3, 4] as const;
// PSNR-Y (dB) as published: bicubic and FSRCNN (Dong et al. 2016), ESPCN (Shi et al. 2016, 91-image training; no x2 given).
const PUBLISHED: Record<string, Record<(typeof SETS)[number], (number | null)[]>> = {
  'bicubic (published)': { Set5: [33.66, 30.39, 28.42], Set14: [30.24, 27.55, 26.0] },
  'ESPCN (published)': { Set5: [null, 32.55, 30.9], Set14: [null, 29.08, 27.73] },
  'FSRCNN (published)': { Set5: [37.0, 33.16, 30.71], Set14: [32.63, 29.43, 27.59] },
};

// The other shipped models, with the scales each exists at: ESPCN (the previous default), its int8 version, the light one.
const OTHERS: Record<string, [string, readonly number[]]> = {
  'srvid ESPCN (srvid eval)': ['espcn', SCALES],
  'srvid ESPCN-int8 (srvid eval)': ['espcn-int8', SCALES],
  'srvid ESPCN-light (srvid eval; x2 only)': ['espcn-light', [2]],
};
const cells: Record<string, string[]> = {
  'bicubic (srvid eval)': [],
  'srvid SESR (srvid eval)': [],
  ...Object.fromEntries(Object.keys(OTHERS).map((k) => [k, []])),
};
for (const set of SETS) {
  for (const scale of SCALES) {
    const r = await evaluateImages({ dir: `${VAL}${set}`, scale, backend: 'onnx', device: 'cpu' });
    cells['bicubic (srvid eval)']!.push(`${r.mean.bicubic.psnr.toFixed(2)} / ${r.mean.bicubic.ssim.toFixed(4)}`);
    cells['srvid SESR (srvid eval)']!.push(`**${r.mean.srvid.psnr.toFixed(2)}** / ${r.mean.srvid.ssim.toFixed(4)}`);
    for (const [row, [model, scales]] of Object.entries(OTHERS)) {
      const m = scales.includes(scale) ? await evaluateImages({ dir: `${VAL}${set}`, scale, model, backend: 'onnx', device: 'cpu' }) : null;
      cells[row]!.push(m ? `${m.mean.srvid.psnr.toFixed(2)} / ${m.mean.srvid.ssim.toFixed(4)}` : '–');
    }
  }
}
for (const [name, bySet] of Object.entries(PUBLISHED))
  cells[name] = SETS.flatMap((s) => bySet[s].map((v) => (v === null ? '–' : v.toFixed(2))));
console.log('| PSNR-Y (dB) / SSIM-Y | Set5 x2 | Set5 x3 | Set5 x4 | Set14 x2 | Set14 x3 | Set14 x4 |');
console.log('|---|---|---|---|---|---|---|');
for (const name of [
  'bicubic (srvid eval)',
  'bicubic (published)',
  'srvid SESR (srvid eval)',
  ...Object.keys(OTHERS),
  'ESPCN (published)',
  'FSRCNN (published)',
]) {
  console.log(`| ${name} | ${cells[name]!.join(' | ')} |`);
}
