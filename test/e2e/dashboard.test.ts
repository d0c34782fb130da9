/// <reference lib="dom" />
/**
 * The dashboard in a real browser: Debian's headless Chromium driven by playwright-core. The page loads, its
 * chart receives points while the run is still going, the before/after preview shows an image, and the
 * summary arrives. A screenshot is left in test/output/dashboard.png for a person to look at. The labels
 * of each mode are also checked on messages published by the monitor server itself (no run): in consistency
 * mode the headline is the detail estimate and faithfulness is never shown as a gain; self mode is unchanged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createIntervals, helloMessage, type FrameMessage, type MonitorMessage, type RunDescription } from '../../src/monitor/messages.js';
import { serveMonitor } from '../../src/monitor/serve-monitor.js';
import { HOOKED_CLI, killLeftovers, startCli, waitForStdinDecoder } from '../helpers/cli.js';
import { FFMPEG, makeTempDir, type TempDir } from '../helpers/clips.js';
import { makeRichClip } from '../helpers/segments.js';

const SAMPLE = fileURLToPath(new URL('../../samples/street-360p.mp4', import.meta.url));
const OUTPUT = fileURLToPath(new URL('../output/', import.meta.url));
// A fixed model file: a live run with a shipped model that cannot keep up would also measure the others.
const MODEL_FILE = fileURLToPath(new URL('../../models/espcn-light-x2.onnx', import.meta.url));
const CHROMIUM = process.env.SRVID_CHROMIUM ?? '/usr/bin/chromium';

interface Dashboard {
  srvidDashboard: {
    frames: number;
    intervals: number;
    cap: number;
    summary: unknown;
    hello: unknown;
    points: () => { frames: number; intervals: number; liveChart: number | null };
  };
}

/** The live section as the page shows it: tiles, whether it is visible, the chart's legend and point counts. */
const readLive = (page: Page) =>
  // No named functions inside evaluate(): tsx would wrap them in a helper the page does not have.
  page.evaluate(
    (ids) => {
      const d = (window as unknown as Dashboard).srvidDashboard;
      const text = Object.fromEntries(ids.map((id) => [id, document.getElementById(id)!.textContent ?? '']));
      return {
        visible: !document.getElementById('live')!.hidden,
        lag: text['t-lag']!,
        lagMax: text['t-lag-max']!,
        recent: text['t-recent']!,
        totals: text['t-totals']!,
        uptime: text['t-uptime']!,
        summary: text['summary']!,
        legend: Array.from(document.querySelectorAll('#chart-live .u-legend .u-series .u-label')).map((e) => e.textContent ?? ''),
        canvases: document.querySelectorAll('#chart-live canvas').length,
        frames: d.frames,
        intervals: d.intervals,
        cap: d.cap,
        points: d.points(),
      };
    },
    ['t-lag', 't-lag-max', 't-recent', 't-totals', 't-uptime', 'summary'],
  );

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
      // Every request the page makes is answered: no 404 in its console (such as /favicon.ico).
      const failed: string[] = [];
      page.on('response', (r) => void (r.status() >= 400 && failed.push(`${r.status()} ${r.url()}`)));
      page.on('console', (m) => void (m.type() === 'error' && failed.push(m.text())));
      await page.goto(url);
      assert.equal(await page.title(), 'srvid monitor');

      // Points arrive while srvid is still running (the page's connection is what lets the run start).
      await page.waitForFunction(() => (window as unknown as { srvidDashboard: { frames: number } }).srvidDashboard.frames >= 3, null, {
        timeout: 60_000,
      });
      const statusDuringRun = await page.evaluate(() => document.getElementById('status')!.textContent);
      const duringRun = run.child.exitCode === null;
      assert.ok(duringRun, 'the chart should get points before the run ends');
      assert.equal(statusDuringRun, 'running', 'a file run is not called live');

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
      assert.match(await page.evaluate(() => document.getElementById('preview-info')!.textContent ?? ''), /^frame \d+, 960x720$/);
      // Consistency mode: faithfulness is shown under its own label, as two figures and no difference.
      assert.deepEqual(shown.faithfulnessShown, [true, true]);
      assert.match(shown.faithPsnr, /^\d+\.\d\d \/ \d+\.\d\d$/);
      assert.match(shown.faithLabels[0]!, /^faithfulness to the input/);
      assert.ok(shown.headline);
      await page.locator('#slider').fill('30');
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: `${OUTPUT}dashboard.png`, fullPage: true });
      assert.deepEqual(errors, []);
      assert.deepEqual(failed, []);
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

    it('the preview of an output wider than 1280 names the output size and the size it is shown at', async () => {
      // A one-pixel JPEG is enough for the label; the run is 768x576 → 1536x1152, previews 1280x960.
      const jpeg = `data:image/jpeg;base64,${Buffer.from(
        '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q==',
        'base64',
      ).toString('base64')}`;
      const wide = run({
        inputSize: { width: 768, height: 576 },
        modelInputSize: { width: 768, height: 576 },
        outputSize: { width: 1536, height: 1152 },
      });
      const preview: MonitorMessage = { type: 'preview', v: 1, index: 29, width: 1280, height: 960, before: jpeg, after: jpeg };
      const { page, errors, close } = await showMessages([helloMessage(wide), ...frames(false), preview, summary(false)]);
      try {
        assert.equal(
          await page.evaluate(() => document.getElementById('preview-info')!.textContent),
          'frame 29, 1536x1152 (shown at 1280x960)',
        );
        assert.deepEqual(errors, []);
      } finally {
        await close(); // a server left open would keep the test process alive
      }
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

    it('live run: lag and frames by bicubic over time, from a run behind real time; the page keeps at most ?points=N', async () => {
      // The network slowed by 250 ms a frame (test hook): the run falls behind and frames go to bicubic.
      const report = tmp.file('live.json');
      const srvid = spawn(
        process.execPath,
        [
          HOOKED_CLI,
          '-',
          tmp.file('live.mkv'),
          '--model-file',
          MODEL_FILE,
          '--max-latency',
          '1000',
          '--monitor',
          '127.0.0.1:0',
          '--report',
          report,
        ],
        { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, SRVID_TEST_SLOW_MODEL_MS: '250' } },
      );
      let err = '';
      srvid.stderr!.setEncoding('utf8').on('data', (t: string) => (err += t));
      const closed = new Promise<number | null>((resolve) => srvid.once('close', resolve));
      for (let k = 0; k < 600 && !/monitor: http:\/\/\S+/.test(err); k++) await new Promise((r) => setTimeout(r, 50));
      const url = /monitor: (http:\/\/\S+)/.exec(err)?.[1];
      assert.ok(url, err);
      const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // Five points a chart: fewer than the frames and the seconds of the run, so the cap is reached.
      await page.goto(`${url}?points=5`);
      // The producer starts once the page is there and srvid reads stdin: a real-time MPEG-TS stream, 9 s long.
      await waitForStdinDecoder(srvid.pid as number);
      const producer = spawn(
        FFMPEG,
        [
          '-hide_banner',
          '-nostdin',
          '-loglevel',
          'error',
          '-re',
          '-f',
          'lavfi',
          '-i',
          'testsrc2=size=320x240:rate=25',
          '-t',
          '9',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-tune',
          'zerolatency',
          '-g',
          '25',
          '-f',
          'mpegts',
          '-',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      producer.stdout.pipe(srvid.stdin!);
      try {
        // While the run goes on: the live section is shown and its tiles carry real values.
        await page
          .waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.intervals >= 3, null, { timeout: 60_000 })
          .catch((e: Error) => assert.fail(`${e.message}; srvid said: ${err}`));
        const during = await readLive(page);
        assert.equal(srvid.exitCode, null, 'the interval messages should arrive while the run goes on');
        assert.ok(during.visible, 'the live section is shown for a live run');
        assert.match(during.lag, /^\d+$/);
        assert.match(during.uptime, /^0:00:\d\d$/);
        await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.summary !== null, null, { timeout: 120_000 });
        const code = await closed;
        assert.equal(code, 0, err);
        const shown = await readLive(page);
        const r = JSON.parse(readFileSync(report, 'utf8')) as { summary: { frames: number; fallback: number; dropped: number } };
        assert.ok(r.summary.fallback > 0, `no frame went to bicubic: ${JSON.stringify(r.summary)}`);
        // The page's figures are the run's: the totals tile and the footer say what the report says.
        const [fallbackTotal, droppedTotal] = shown.totals.split(' / ').map(Number);
        assert.ok(fallbackTotal! > 0 && fallbackTotal! <= r.summary.fallback, `${shown.totals} vs ${JSON.stringify(r.summary)}`);
        assert.ok(droppedTotal! <= r.summary.dropped);
        assert.match(shown.summary, new RegExp(`behind real time: ${r.summary.fallback} frames by bicubic, ${r.summary.dropped} dropped`));
        assert.match(shown.lagMax, /^\d+$/);
        assert.ok(Number(shown.lagMax) > 0);
        assert.deepEqual(shown.legend.slice(1), ['lag, mean (ms)', 'lag, worst (ms)', 'by bicubic (/s)', 'dropped (/s)']);
        assert.equal(shown.canvases, 1);
        // More frames and more seconds than the cap, and the page holds exactly the cap.
        assert.equal(shown.cap, 5);
        assert.ok(shown.frames > 5 && shown.intervals > 5, `${shown.frames} frames, ${shown.intervals} intervals`);
        assert.deepEqual(shown.points, { frames: 5, intervals: 5, liveChart: 5 });
        assert.deepEqual(errors, []);
        mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: `${OUTPUT}dashboard-live.png`, fullPage: true });
      } finally {
        producer.kill('SIGKILL');
        srvid.kill('SIGKILL');
        await page.close();
      }
    });

    it('live run that goes on and on: a late page gets the server bounded history and keeps a fixed number of points', async () => {
      // Synthetic messages, as a run a long time under way would have published them: 500 seconds, 2 frames by
      // bicubic in each, and 500 frames. The server keeps 100 seconds and 50 frames; the page shows 20 of each.
      const server = await serveMonitor({ host: '127.0.0.1', port: 0, history: 50, intervals: 100 });
      server.publish(helloMessage(run({ live: true, totalFrames: null, input: '-', output: '-' })));
      const iv = createIntervals();
      for (let t = 1; t <= 500; t++) {
        iv.add({ latencyMs: t === 500 ? 900 : 400, dropped: 0, fallback: 2 * t });
        const m = iv.take(t);
        server.publish(m);
        server.publish({ ...frames(false)[0]!, index: t - 1, latencyMs: 400, fallback: 2 * t });
      }
      const page = await browser.newPage({ viewport: { width: 1400, height: 1300 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}?points=20`);
      await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.intervals >= 100, null, { timeout: 30_000 });
      await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.frames >= 50, null, { timeout: 30_000 });
      let shown = await readLive(page);
      assert.deepEqual([shown.intervals, shown.frames], [100, 50], 'the server gave the page its bounded history, no more');
      assert.deepEqual(shown.points, { frames: 20, intervals: 20, liveChart: 20 });
      // The last minute the page still has (the last 20 seconds): 2 a second by bicubic, and the worst lag.
      assert.deepEqual([shown.recent, shown.totals, shown.lagMax, shown.uptime], ['40 / 0', '1000 / 0', '900', '0:08:20']);
      // More arrive while the page is open: still 20 points.
      for (let t = 501; t <= 530; t++) {
        iv.add({ latencyMs: 400, dropped: t - 500, fallback: 2 * t });
        server.publish(iv.take(t));
      }
      await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.intervals >= 130, null, { timeout: 30_000 });
      await page.waitForTimeout(100); // one animation frame for the chart's redraw
      shown = await readLive(page);
      assert.deepEqual(shown.points, { frames: 20, intervals: 20, liveChart: 20 });
      assert.equal(shown.totals, '1060 / 30');
      assert.deepEqual(errors, []);
      await Promise.all([page.close(), server.close(0)]);
    });

    it('segmented run (--resume): the workers table and the segment tiles while it runs, no frame charts', async () => {
      const input = await makeRichClip(tmp, 'segments-in.mkv');
      const output = tmp.file('segments-out.mkv');
      // Each frame 40 ms slower (test hook), so the page sees the run in progress; --monitor-wait: from its start.
      const run = startCli(
        [input, output, '--resume', '--segment-seconds', '1', '--model', 'espcn', '--monitor', '127.0.0.1:0', '--monitor-wait'],
        { env: { SRVID_TEST_SLOW_MODEL_MS: '40' } },
      );
      await run.waitForStderr(/monitor: http:\/\/\S+/, 60_000);
      const url = /monitor: (http:\/\/\S+)/.exec(run.stderr())?.[1] as string;
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      // No named functions inside evaluate(): tsx would wrap them in a helper the page does not have.
      const read = () =>
        page.evaluate(() => ({
          run: document.getElementById('run')!.textContent ?? '',
          shown: !document.getElementById('workers')!.hidden,
          hidden: Array.from(document.querySelectorAll<HTMLElement>('#run-tiles, section.charts, section.preview')).map(
            (e) => getComputedStyle(e).display === 'none',
          ),
          tiles: ['t-segments', 't-job-frames', 't-workers', 't-job-eta'].map((id) => document.getElementById(id)!.textContent),
          rows: Array.from(document.querySelectorAll('#worker-table tbody tr')).map((tr) =>
            Array.from(tr.querySelectorAll('td')).map((td) => td.textContent),
          ),
        }));
      try {
        await page.waitForFunction(
          () => {
            const w = (window as unknown as { srvidDashboard: { workers: { segments: { done: number; inHand: number } } | null } })
              .srvidDashboard.workers;
            return w !== null && w.segments.done >= 1 && w.segments.inHand === 1;
          },
          null,
          { timeout: 60_000 },
        );
        const during = await read();
        assert.equal(run.child.exitCode, null, 'the page should see the run while it goes on');
        assert.ok(during.shown);
        assert.deepEqual(during.hidden, [true, true, true], 'no frame tiles, charts or preview: segments are not reported frame by frame');
        assert.match(during.run, /4 segments of about 1 s \(0 done before this run\), upscaled here$/);
        assert.match(during.tiles[0]!, /^[1-3] \/ 1 \/ 4$/);
        assert.deepEqual(during.tiles[2], '1 / 1');
        assert.equal(during.rows.length, 1);
        const [worker, model, backend, segment] = during.rows[0]!;
        assert.match(worker!, /^.+:\d+$/);
        assert.deepEqual([model, backend], ['espcn-x2', 'onnxruntime-cpu']);
        assert.match(segment!, /^[1-3] \(\d+ frames done\)$/);
        await page.waitForFunction(() => (window as unknown as Dashboard).srvidDashboard.summary !== null, null, { timeout: 120_000 });
        const r = await run.done;
        assert.equal(r.code, 0, r.stderr);
        const shown = await read();
        assert.deepEqual(shown.tiles, ['4 / 0 / 4', '100 / 100', '0 / 1', 'done']);
        assert.deepEqual(
          shown.rows[0]!.slice(3, 7).map((c, k) => (k === 1 ? 'fps' : c)),
          ['none', 'fps', '4', '100'],
        );
        assert.match(await page.evaluate(() => document.getElementById('summary')!.textContent ?? ''), /^finished: 100 frames in /);
        assert.deepEqual(errors, []);
        mkdirSync(OUTPUT, { recursive: true });
        await page.screenshot({ path: `${OUTPUT}dashboard-segments.png`, fullPage: true });
      } finally {
        await page.close();
        run.child.kill('SIGKILL');
      }
    });
  },
);
