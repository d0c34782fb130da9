/// <reference lib="dom" />
/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core. The page loads, its
 * chart receives points while the run is still going, the before/after preview shows an image, and the
 * summary arrives. A screenshot is left in test/output/dashboard.png for a person to look at.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { killLeftovers, startCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/clips.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const CHROMIUM = process.env.SRVID_CHROMIUM ?? '/usr/bin/chromium';

describe(
  'dashboard in headless Chromium',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent: apt-get install -y chromium (.ci/run does)` },
  () => {
    let tmp: TempDir;
    let browser: Browser;
    before(async () => {
      tmp = makeTempDir('dashboard');
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-component-update',
          '--no-first-run',
        ],
      });
    });
    after(async () => {
      await browser?.close();
      tmp.remove();
      await killLeftovers(tmp.path);
    });

    it('plots frames during the run, shows a preview and the summary', async () => {
      const run = startCli([
        SAMPLE,
        tmp.file('out.mp4'),
        '--preset',
        'ultrafast',
        '--monitor',
        '127.0.0.1:0',
        '--monitor-wait',
        '--preview-every',
        '10',
      ]);
      await run.waitForStderr(/monitor: http:\/\/\S+/);
      const url = /monitor: (http:\/\/\S+)/.exec(run.stderr())![1]!;
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      assert.equal(await page.title(), 'srvid monitor');

      // Points arrive while srvid is still running (the page's connection is what lets the run start).
      await page.waitForFunction(() => (window as unknown as { srvidDashboard: { frames: number } }).srvidDashboard.frames >= 3, null, {
        timeout: 60_000,
      });
      const duringRun = run.child.exitCode === null;
      assert.ok(duringRun, 'the chart should get points before the run ends');

      await page.waitForFunction(() => (document.getElementById('img-after') as HTMLImageElement).naturalWidth > 0, null, {
        timeout: 60_000,
      });
      await page.waitForFunction(
        () => (window as unknown as { srvidDashboard: { summary: unknown } }).srvidDashboard.summary !== null,
        null,
        { timeout: 120_000 },
      );
      const state = await page.evaluate(() => {
        const d = (window as unknown as { srvidDashboard: { frames: number; previews: number } }).srvidDashboard;
        return {
          frames: d.frames,
          previews: d.previews,
          status: document.getElementById('status')!.textContent,
          gain: document.getElementById('t-gain')!.textContent,
          reference: document.getElementById('reference')!.textContent,
          canvases: document.querySelectorAll('#chart-psnr canvas').length,
          preview: [
            (document.getElementById('img-before') as HTMLImageElement).naturalWidth,
            (document.getElementById('img-after') as HTMLImageElement).naturalWidth,
          ],
        };
      });
      assert.equal(state.frames, 50);
      assert.ok(state.previews >= 1);
      assert.equal(state.status, 'finished');
      assert.match(state.gain ?? '', /^[+-]\d+\.\d\d$/);
      assert.match(state.reference ?? '', /^consistency: the output downscaled back/);
      assert.equal(state.canvases, 1);
      assert.deepEqual(state.preview, [960, 960]);
      await page.locator('#slider').fill('30');
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
      assert.deepEqual(errors, []);
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);
    });
  },
);
