// Integration: runs the real binaries (`ffmpeg -version`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { FfmpegNotFoundError } from '../errors.js';
import { resolveFfmpeg } from './resolve-ffmpeg.js';

const systemMajor = (() => {
  const r = spawnSync('ffmpeg', ['-version'], { encoding: 'utf8' });
  const m = /version n?(\d+)\./.exec(r.stdout ?? '');
  return m ? Number(m[1]) : 0;
})();

describe('resolveFfmpeg', () => {
  it('prefers a system ffmpeg ≥ 5 on PATH', { skip: systemMajor < 5 && 'no system ffmpeg ≥ 5 on PATH' }, async () => {
    const t = await resolveFfmpeg({ env: { PATH: process.env.PATH } });
    assert.equal(t.origin, 'system');
    assert.equal(t.major, systemMajor);
    assert.match(t.ffprobe, /ffprobe$/);
  });

  it('falls back to the bundled build when PATH has none', async () => {
    const t = await resolveFfmpeg({ env: { PATH: '/nonexistent' } });
    assert.equal(t.origin, 'bundled');
    assert.match(t.ffmpeg, /@ffmpeg-installer/);
    assert.match(t.ffprobe, /@ffprobe-installer/);
    assert.equal(t.major, 4); // the bundled 2018 git build, read from its libavutil version
  });

  it('takes SRVID_FFMPEG first, and names it when it does not run', async () => {
    const bundled = await resolveFfmpeg({ env: { PATH: '/nonexistent' } });
    const t = await resolveFfmpeg({ env: { PATH: process.env.PATH, SRVID_FFMPEG: bundled.ffmpeg } });
    assert.equal(t.origin, 'environment');
    assert.equal(t.ffmpeg, bundled.ffmpeg);
    await assert.rejects(
      resolveFfmpeg({ env: { SRVID_FFMPEG: '/nonexistent/ffmpeg' } }),
      (e: unknown) => e instanceof FfmpegNotFoundError && /SRVID_FFMPEG/.test(e.message),
    );
    await assert.rejects(resolveFfmpeg({ ffmpeg: '/nonexistent/ffmpeg' }), /--ffmpeg/);
  });
});
