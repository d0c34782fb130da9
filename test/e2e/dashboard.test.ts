/// <reference lib="dom" />
/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core. The page loads, its
 * chart receives points while the run is still going, the before/after preview shows an image, and the
 * summary arrives. A screenshot is left in test/output/dashboard.png for a person to look at. The labels
 * of each mode are also checked on messages published by the monitor server itself (no run): in consistency
 * mode the headline is the detail estimate and faithfulness is never shown as a gain; self mode is unchanged.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { helloMessage, type FrameMessage, type MonitorMessage, type RunDescription } from '../../src/monitor/messages.js';
import { serveMonitor } from '../../src/monitor/serve-monitor.js';
import { killLeftovers, startCli } from '../helpers/cli.js';
import { makeTempDir, type TempDir } from '../helpers/clips.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
const CHROMIUM = process.env.SRVID_CHROMIUM ?? '/usr/bin/chromium';

interface Dashboard {
  srvidDashboard: { frames: number; summary: unknown };
}

/** The tiles' values and labels, the chart's caption and the footer, as the page shows them. */
const readPage = async (page: Page) => {
  // No named functions inside evaluate(): tsx would wrap them in a helper the page does not have.
  const text = await page.evaluate(
    (ids) => Object.fromEntries(ids.map((id) => [id, document.getElementById(id)!.textContent ?? ''])),
    [
      't-gain',
      'l-gain',
      't-psnr',
      'l-psnr',
      't-bicubic',
      'l-bicubic',
      't-ssim',
      'l-ssim',
      't-faith-psnr',
      't-faith-ssim',
      'caption-psnr',
      'reference',
      'summary',
    ],
  );
  const more = await page.evaluate(() => ({
    headline: document.getElementById('tile-gain')!.classList.contains('headline'),
    faithfulnessShown: Array.from(document.querySelectorAll<HTMLElement>('.tiles .faithfulness')).map(
      (e) => !e.hidden && e.offsetParent !== null,
    ),
    faithLabels: Array.from(document.querySelectorAll('.tiles .faithfulness span')).map((e) => e.textContent ?? ''),
    legend: Array.from(document.querySelectorAll('#chart-psnr .u-legend .u-series .u-label')).map((e) => e.textContent ?? ''),
  }));
  return {
    gain: text['t-gain']!,
    gainLabel: text['l-gain']!,
    psnr: text['t-psnr']!,
    psnrLabel: text['l-psnr']!,
    bicubic: text['t-bicubic']!,
    bicubicLabel: text['l-bicubic']!,
    ssim: text['t-ssim']!,
    ssimLabel: text['l-ssim']!,
    faithPsnr: text['t-faith-psnr']!,
    faithSsim: text['t-faith-ssim']!,
    caption: text['caption-psnr']!,
    reference: text['reference']!,
    summary: text['summary']!,
    ...more,
  };
};

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
      const shown = await readPage(page);
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
      assert.match(state.reference ?? '', /^consistency: the output downscaled back/);
      assert.equal(state.canvases, 1);
      assert.deepEqual(state.preview, [960, 960]);
      // Consistency mode: faithfulness is shown under its own label, as two figures and no difference.
      assert.deepEqual(shown.faithfulnessShown, [true, true]);
      assert.match(shown.faithPsnr, /^\d+\.\d\d \/ \d+\.\d\d$/);
      assert.match(shown.faithLabels[0]!, /^faithfulness to the input/);
      assert.ok(shown.headline);
      await page.locator('#slider').fill('30');
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
      assert.deepEqual(errors, []);
      const result = await run.done;
      assert.equal(result.code, 0, result.stderr);

      // These need the run to make detail estimates (the shadow frames, on by default in consistency mode):
      // the headline is the detail estimate's gain over bicubic, from every Nth frame.
      const hello = await page.evaluate(
        () => (window as unknown as { srvidDashboard: { hello: { detailEvery: number | null } } }).srvidDashboard.hello,
      );
      const every = hello.detailEvery;
      assert.ok(Number.isInteger(every) && every! >= 1, `the hello has no detailEvery: ${JSON.stringify(every)}`);
      const estimated = Math.ceil(50 / every!);
      assert.match(shown.gain, /^[+-]\d+\.\d\d$/);
      assert.match(
        shown.gainLabel,
        new RegExp(`^detail gain over bicubic \\(dB\\): estimate from every ${every}\\w* frame, ${estimated} so far$`),
      );
      assert.match(shown.psnrLabel, /^detail estimate: PSNR-Y srvid/);
      assert.match(
        shown.summary,
        new RegExp(
          `detail estimate \\(${estimated} frames\\): PSNR-Y mean .*; faithfulness to the input \\(output downscaled back, not detail\\)`,
        ),
      );
      const [faithSr, faithBic] = shown.faithPsnr.split(' / ').map(Number);
      assert.notEqual(shown.gain, `+${(faithSr! - faithBic!).toFixed(2)}`, 'the headline is not the faithfulness difference');
    });

    /** Opens the dashboard of a monitor that has already published `messages` (a late client gets them all). */
    const showMessages = async (messages: readonly MonitorMessage[]) => {
      const server = await serveMonitor({ host: '127.0.0.1', port: 0 });
      for (const m of messages) server.publish(m);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(server.url);
      await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.summary !== null, null, { timeout: 30_000 });
      const shown = await readPage(page);
      return { page, shown, errors, close: () => Promise.all([page.close(), server.close(0)]) };
    };

    const run = (o: Partial<RunDescription>): RunDescription => ({
      input: 'in.mp4',
      output: 'out.mp4',
      inputSize: { width: 640, height: 360 },
      modelInputSize: { width: 640, height: 360 },
      outputSize: { width: 1280, height: 720 },
      scale: 2,
      model: 'espcn-x2',
      backend: 'onnxruntime-cpu',
      mode: 'consistency',
      reference:
        'the output downscaled back to the input size (antialiased bicubic), against the input: faithfulness to the input, not detail',
      crop: 0,
      frameRate: 25,
      totalFrames: 30,
      ...o,
    });
    /** 30 frames: srvid 50 dB and bicubic 40 dB on the main figures; on every 10th, a detail estimate of 34 vs 32 dB. */
    const frames = (detail: boolean): FrameMessage[] =>
      Array.from({ length: 30 }, (_, index) => ({
        type: 'frame',
        v: 1,
        index,
        ptsMs: index * 40,
        srvid: { psnr: 50, ssim: 0.999 },
        bicubic: { psnr: 40, ssim: 0.98 },
        ...(detail && index % 10 === 0 ? { detail: { srvid: { psnr: 34, ssim: 0.95 }, bicubic: { psnr: 32, ssim: 0.93 } } } : {}),
        fps: 20,
        latencyMs: 300,
        queueDepth: 4,
        dropped: 0,
        fallback: 0,
      }));
    const summary = (detail: boolean): MonitorMessage => ({
      type: 'summary',
      v: 1,
      status: 'finished',
      frames: 30,
      measured: 30,
      elapsedSec: 1.5,
      fps: 20,
      srvid: { psnr: { mean: 50, min: 50 }, ssim: { mean: 0.999, min: 0.999 } },
      bicubic: { psnr: { mean: 40, min: 40 }, ssim: { mean: 0.98, min: 0.98 } },
      detail: detail
        ? {
            frames: 3,
            srvid: { psnr: { mean: 34, min: 34 }, ssim: { mean: 0.95, min: 0.95 } },
            bicubic: { psnr: { mean: 32, min: 32 }, ssim: { mean: 0.93, min: 0.93 } },
            costMs: 8,
          }
        : null,
      costMs: { bicubic: 7, resize: 18, psnr: 0.6, ssim: 1.3, shadow: detail ? 0.8 : 0 },
      dropped: 0,
      fallback: 0,
    });

    it('consistency mode: the headline is the detail estimate; faithfulness is labelled as such, never as a gain', async () => {
      const { shown, errors, close } = await showMessages([helloMessage(run({ detailEvery: 10 })), ...frames(true), summary(true)]);
      await close();
      assert.deepEqual(errors, []);
      assert.equal(shown.gain, '+2.00');
      assert.equal(shown.gainLabel, 'detail gain over bicubic (dB): estimate from every 10th frame, 3 so far');
      assert.ok(shown.headline);
      assert.deepEqual([shown.psnr, shown.bicubic, shown.ssim], ['34.00', '32.00', '0.9500 / 0.9300']);
      assert.match(shown.psnrLabel, /^detail estimate: /);
      assert.match(shown.bicubicLabel, /^detail estimate: /);
      assert.match(shown.ssimLabel, /^detail estimate: /);
      assert.deepEqual(shown.faithfulnessShown, [true, true]);
      assert.deepEqual([shown.faithPsnr, shown.faithSsim], ['50.00 / 40.00', '0.9990 / 0.9800']);
      assert.ok(shown.faithLabels.every((l) => l.startsWith('faithfulness to the input') && !/gain/.test(l)));
      assert.doesNotMatch(Object.values(shown).join('\n'), /\+10\.00/, 'the faithfulness difference is shown nowhere');
      assert.match(
        shown.reference,
        /^consistency: the output downscaled back.* Detail estimate: every 10th frame of the input downscaled by 2/,
      );
      assert.match(shown.caption, /faithfulness to the input .* detail estimate/);
      assert.deepEqual(shown.legend.slice(1), [
        'srvid, faithfulness',
        'bicubic, faithfulness',
        'srvid, detail estimate',
        'bicubic, detail estimate',
      ]);
      assert.equal(
        shown.summary,
        'finished: 30 frames in 1.5 s (20.0 fps); detail estimate (3 frames): PSNR-Y mean 34.00 dB vs bicubic 32.00 dB (+2.00); ' +
          'faithfulness to the input (output downscaled back, not detail): PSNR-Y mean 50.00 dB (min 50.00), bicubic 40.00 dB (min 40.00)',
      );
    });

    it('consistency mode without detail estimates: no headline figure rather than faithfulness as a gain', async () => {
      const { shown, errors, close } = await showMessages([helloMessage(run({})), ...frames(false), summary(false)]);
      await close();
      assert.deepEqual(errors, []);
      assert.equal(shown.gain, '–');
      assert.match(shown.gainLabel, /not estimated in this run/);
      assert.deepEqual([shown.faithPsnr, shown.faithSsim], ['50.00 / 40.00', '0.9990 / 0.9800']);
      assert.doesNotMatch(Object.values(shown).join('\n'), /\+10\.00/);
      assert.match(shown.summary, /; no detail estimate; faithfulness to the input/);
    });

    it('self mode: the tiles, chart and footer as they always were', async () => {
      const self = run({ mode: 'self', reference: 'against the input itself', crop: 2, detailEvery: null });
      const { shown, errors, close } = await showMessages([helloMessage(self), ...frames(false), summary(false)]);
      await close();
      assert.deepEqual(errors, []);
      assert.deepEqual([shown.psnr, shown.bicubic, shown.gain, shown.ssim], ['50.00', '40.00', '+10.00', '0.9990 / 0.9800']);
      assert.deepEqual(
        [shown.psnrLabel, shown.bicubicLabel, shown.gainLabel, shown.ssimLabel],
        ['PSNR-Y srvid (dB, mean)', 'PSNR-Y bicubic (dB, mean)', 'gain over bicubic (dB)', 'SSIM-Y srvid / bicubic'],
      );
      assert.equal(shown.headline, false);
      assert.deepEqual(shown.faithfulnessShown, [false, false]);
      assert.equal(shown.caption, 'PSNR-Y per frame: srvid vs bicubic');
      assert.deepEqual(shown.legend.slice(1), ['srvid', 'bicubic']);
      assert.equal(
        shown.summary,
        'finished: 30 frames in 1.5 s (20.0 fps); PSNR-Y mean 50.00 dB (min 50.00), bicubic 40.00 dB (min 40.00)',
      );
    });
  },
);
