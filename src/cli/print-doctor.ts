/** Renders the doctor report as text. Pure. */
import type { DoctorReport } from '../api/doctor.js';

const yesNo = (m: Record<string, boolean>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
    .join(', ');

export const formatDoctor = (r: DoctorReport, header: string): string => {
  const out = [header, ''];
  if ('error' in r.ffmpeg) out.push(`ffmpeg    NOT FOUND: ${r.ffmpeg.error}`);
  else {
    const f = r.ffmpeg;
    out.push(`ffmpeg    ${f.ffmpeg} (${f.origin}): ${f.versionLine}`);
    out.push(`ffprobe   ${f.ffprobe}: ${f.ffprobeVersion ?? 'does not run'}`);
    out.push(`          protocols: ${yesNo(f.protocols)}`);
    out.push(`          encoders:  ${yesNo(f.encoders)}`);
    if (f.major < 5) out.push('          note: ffmpeg < 5 carries 10-bit video as 8-bit; install ffmpeg ≥ 5 (apt-get install ffmpeg)');
  }
  out.push(`bundled   ${r.bundled.ffmpeg ?? 'absent'}${r.bundled.version ? `: ${r.bundled.version}` : ''}`);
  out.push(
    '',
    `GPU device node: ${r.gpuDevice ? 'found' : 'none (/dev/nvidia0, /dev/dri/renderD*, /dev/kfd, /dev/dxg), so --device auto runs on the CPU'}`,
  );
  out.push('', 'backends (the default model, x2, on a 64x64 plane):');
  const width = Math.max(...r.backends.map((b) => b.id.length));
  for (const b of r.backends) {
    const status = !b.tried
      ? `--    not tried: ${b.reason ?? ''}`
      : b.ok
        ? `ok    ${(b.ms ?? 0).toFixed(1)} ms`
        : `no    ${b.reason ?? ''}`;
    out.push(`  ${b.id.padEnd(width)}  ${b.device}  ${status}`);
  }
  out.push('', `--backend auto --device auto uses: ${r.auto ?? 'nothing (no backend loads)'}`);
  return `${out.join('\n')}\n`;
};
