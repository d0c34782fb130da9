// srvid monitor page: connects to /ws on the same host (with the page's ?token=), plots each frame message,
// shows previews. No build step: plain browser JavaScript and uPlot served by srvid itself.
//
// In consistency mode the per-frame srvid/bicubic pair is faithfulness to the input (the output downscaled back),
// not detail: there the headline is the detail estimate's gain over bicubic (the shadow frames' `detail` pair), and
// the faithfulness figures are shown under their own label, never as a gain. Other modes show the pair as the gain.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  // Every chart keeps at most this many points (the newest), so a run that never ends costs the page a fixed
  // amount: 3600 by default (an hour of per-second points), ?points=N to change it.
  const cap = Math.min(100000, Math.max(2, Number(new URLSearchParams(location.search).get('points')) || 3600));
  const state = {
    cap,
    frames: 0,
    intervals: 0,
    previews: 0,
    workers: null, // a segmented run's latest workers message
    summary: null,
    hello: null,
    missed: 0,
    sums: { sp: 0, bp: 0, ss: 0, bs: 0, n: 0 },
    detail: { sp: 0, bp: 0, ss: 0, bs: 0, n: 0 },
  };
  window.srvidDashboard = state; // read by the browser test
  // Per-second summaries (interval messages): seconds since the start, lag mean and max, bicubic and dropped.
  const it = { t: [], lagMean: [], lagMax: [], fallback: [], dropped: [], seconds: [] };
  const x = [],
    psnr = [],
    bic = [],
    detailSr = [],
    detailBic = [],
    fps = [],
    latency = [];
  const consistency = () => state.hello !== null && state.hello.mode === 'consistency';
  const detailEvery = () => (consistency() ? state.hello.detailEvery || null : null);

  const width = (id) => Math.max(300, $(id).clientWidth - 12);
  // Made at the hello (or the first frame, should a hello never come): its series depend on the mode.
  let psnrChart = null;
  const psnrData = () => (detailEvery() ? [x, psnr, bic, detailSr, detailBic] : [x, psnr, bic]);
  const makePsnrChart = () => {
    const series = detailEvery()
      ? [
          { label: 'frame' },
          { label: 'srvid, faithfulness', stroke: '#d33', width: 1 },
          { label: 'bicubic, faithfulness', stroke: '#36c', width: 1 },
          // The estimate exists on every Nth frame only: dots, joined across the frames between.
          { label: 'srvid, detail estimate', stroke: '#900', width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 7 } },
          { label: 'bicubic, detail estimate', stroke: '#036', width: 2, dash: [6, 4], spanGaps: true, points: { show: true, size: 7 } },
        ]
      : [{ label: 'frame' }, { label: 'srvid', stroke: '#d33', width: 1.5 }, { label: 'bicubic', stroke: '#36c', width: 1.5 }];
    psnrChart = new uPlot(
      { width: width('chart-psnr'), height: 260, scales: { x: { time: false } }, axes: [{ label: 'frame' }, { label: 'dB' }], series },
      psnrData(),
      $('chart-psnr'),
    );
  };
  const speedChart = new uPlot(
    {
      width: width('chart-speed'),
      height: 260,
      scales: { x: { time: false }, ms: {} },
      axes: [{ label: 'frame' }, { label: 'fps' }, { scale: 'ms', side: 1, label: 'ms', grid: { show: false } }],
      series: [
        { label: 'frame' },
        { label: 'fps', stroke: '#2a2', width: 1.5 },
        { label: 'latency (ms)', stroke: '#a5a', scale: 'ms', width: 1.5 },
      ],
    },
    [x, fps, latency],
    $('chart-speed'),
  );

  /** Seconds as h:mm:ss. */
  const clock = (sec) =>
    `${Math.floor(sec / 3600)}:${String(Math.floor(sec / 60) % 60).padStart(2, '0')}:${String(Math.floor(sec) % 60).padStart(2, '0')}`;
  /** Drops the oldest points beyond the cap, from every array of a chart alike. */
  const trim = (arrays) => {
    const over = arrays[0].length - cap;
    if (over > 0) for (const a of arrays) a.splice(0, over);
  };
  state.points = () => ({ frames: x.length, intervals: it.t.length, liveChart: liveChart ? liveChart.data[0].length : null });

  // Live runs only: lag (left, ms) and frames by bicubic and dropped (right, frames a second) over time.
  let liveChart = null;
  const liveData = () => [it.t, it.lagMean, it.lagMax, it.fallback, it.dropped];
  const makeLiveChart = () => {
    $('live').hidden = false;
    liveChart = new uPlot(
      {
        width: width('chart-live'),
        height: 240,
        scales: { x: { time: false }, n: {} },
        axes: [
          { label: 'seconds since the start' },
          { label: 'lag (ms)' },
          { scale: 'n', side: 1, label: 'frames a second', grid: { show: false } },
        ],
        series: [
          { label: 's' },
          { label: 'lag, mean (ms)', stroke: '#a5a', width: 1.5 },
          { label: 'lag, worst (ms)', stroke: '#a5a', width: 1, dash: [4, 3] },
          { label: 'by bicubic (/s)', stroke: '#e80', scale: 'n', width: 1.5 },
          { label: 'dropped (/s)', stroke: '#c00', scale: 'n', width: 1.5 },
        ],
      },
      liveData(),
      $('chart-live'),
    );
  };
  const onInterval = (m) => {
    state.intervals++;
    it.t.push(m.t);
    it.lagMean.push(m.lagMs ? m.lagMs.mean : null);
    it.lagMax.push(m.lagMs ? m.lagMs.max : null);
    it.fallback.push(m.fallback / m.seconds);
    it.dropped.push(m.dropped / m.seconds);
    it.seconds.push(m.seconds);
    trim([it.t, it.lagMean, it.lagMax, it.fallback, it.dropped, it.seconds]);
    if (!liveChart) return;
    // The last minute, from the per-second points the page still has.
    let worst = null,
      fb = 0,
      dr = 0;
    for (let i = it.t.length - 1; i >= 0 && it.t[i] > m.t - 60; i--) {
      if (it.lagMax[i] !== null) worst = Math.max(worst ?? 0, it.lagMax[i]);
      fb += it.fallback[i] * it.seconds[i];
      dr += it.dropped[i] * it.seconds[i];
    }
    $('t-lag-max').textContent = fmt(worst, 0);
    $('t-recent').textContent = `${Math.round(fb)} / ${Math.round(dr)}`;
    $('t-totals').textContent = `${m.fallbackTotal} / ${m.droppedTotal}`;
    $('t-uptime').textContent = clock(m.t);
    schedule();
  };

  let redraw = false;
  const schedule = () => {
    if (redraw) return;
    redraw = true;
    requestAnimationFrame(() => {
      redraw = false;
      psnrChart.setData(psnrData());
      speedChart.setData([x, fps, latency]);
      liveChart?.setData(liveData());
    });
  };
  const fmt = (v, d) => (v === null || v === undefined ? '–' : v.toFixed(d));
  const signed = (v) => `${v >= 0 ? '+' : ''}${fmt(v, 2)}`;
  const setStatus = (text, cls) => {
    $('status').textContent = text;
    $('status').className = `status ${cls}`;
  };
  const everyNth = (n) => {
    const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] || 'th';
    return n === 1 ? 'every frame' : `every ${n}${suffix} frame`;
  };
  /** The headline's label in consistency mode: what the gain is, from how many frames. */
  const gainLabel = () => {
    const every = detailEvery();
    if (!every) return 'detail gain over bicubic: not estimated in this run (faithfulness below is not a gain)';
    return `detail gain over bicubic (dB): estimate from ${everyNth(every)}, ${state.detail.n} so far`;
  };

  const onHello = (m) => {
    state.hello = m;
    // "live" is a live stream's word; a file run is running (a late client's summary then says how it ended).
    setStatus(m.live ? 'live' : 'running', 'live');
    $('run').textContent =
      `${m.input} (${m.inputSize.width}x${m.inputSize.height}) → ${m.output} (${m.outputSize.width}x${m.outputSize.height}), ` +
      `x${m.scale}, ${m.model} on ${m.backend}${m.totalFrames ? `, ${m.totalFrames} frames` : ''}`;
    const d = m.figures && m.figures.detail ? m.figures.detail.description : '';
    const detail = d ? ` ${d[0].toUpperCase()}${d.slice(1)}.` : '';
    $('reference').textContent = m.mode
      ? `${m.mode}: ${m.reference}.${detail} ${m.metrics.psnr}; ${m.metrics.ssim}.`
      : 'no quality metrics in this run';
    if (consistency()) {
      $('tile-gain').classList.add('headline');
      $('l-gain').textContent = gainLabel();
      $('l-psnr').textContent = 'detail estimate: PSNR-Y srvid (dB, mean)';
      $('l-bicubic').textContent = 'detail estimate: PSNR-Y bicubic (dB, mean)';
      $('l-ssim').textContent = 'detail estimate: SSIM-Y srvid / bicubic';
      for (const tile of document.querySelectorAll('.tiles .faithfulness')) tile.hidden = false;
      $('caption-psnr').textContent = detailEvery()
        ? 'PSNR-Y per frame: faithfulness to the input (thin lines: output downscaled back, not detail) and the detail estimate (dots)'
        : 'PSNR-Y per frame: faithfulness to the input (output downscaled back, not detail), srvid vs bicubic';
    }
    if (!psnrChart) makePsnrChart();
    if (m.live && !liveChart) makeLiveChart();
    if (m.segmented) {
      // Segments are upscaled by workers that report per segment, not per frame: no frame charts, no preview.
      const g = m.segmented;
      $('run').textContent +=
        `; ${g.segments} segments of about ${g.segmentSeconds} s (${g.doneBefore} done before this run), ` +
        (g.queue ? `on the queue at ${g.queue}` : 'upscaled here');
      $('workers').hidden = false;
      for (const el of document.querySelectorAll('#run-tiles, section.charts, section.preview')) el.hidden = true;
    }
  };
  const onFrame = (m) => {
    if (!psnrChart) makePsnrChart();
    state.frames++;
    x.push(m.index);
    psnr.push(m.srvid ? m.srvid.psnr : null);
    bic.push(m.bicubic ? m.bicubic.psnr : null);
    detailSr.push(m.detail ? m.detail.srvid.psnr : null);
    detailBic.push(m.detail ? m.detail.bicubic.psnr : null);
    fps.push(m.fps);
    latency.push(m.latencyMs);
    trim([x, psnr, bic, detailSr, detailBic, fps, latency]);
    const s = state.sums;
    if (m.srvid && m.bicubic) {
      s.sp += m.srvid.psnr;
      s.bp += m.bicubic.psnr;
      s.ss += m.srvid.ssim;
      s.bs += m.bicubic.ssim;
      s.n++;
    }
    const d = state.detail;
    if (m.detail) {
      d.sp += m.detail.srvid.psnr;
      d.bp += m.detail.bicubic.psnr;
      d.ss += m.detail.srvid.ssim;
      d.bs += m.detail.bicubic.ssim;
      d.n++;
    }
    $('t-frames').textContent = String(m.index + 1);
    if (consistency()) {
      // The headline tiles are the detail estimate; the consistency pair is faithfulness, with no difference shown.
      if (d.n) {
        $('t-psnr').textContent = fmt(d.sp / d.n, 2);
        $('t-bicubic').textContent = fmt(d.bp / d.n, 2);
        $('t-gain').textContent = signed((d.sp - d.bp) / d.n);
        $('t-ssim').textContent = `${fmt(d.ss / d.n, 4)} / ${fmt(d.bs / d.n, 4)}`;
      }
      $('l-gain').textContent = gainLabel();
      if (s.n) {
        $('t-faith-psnr').textContent = `${fmt(s.sp / s.n, 2)} / ${fmt(s.bp / s.n, 2)}`;
        $('t-faith-ssim').textContent = `${fmt(s.ss / s.n, 4)} / ${fmt(s.bs / s.n, 4)}`;
      }
    } else if (s.n) {
      $('t-psnr').textContent = fmt(s.sp / s.n, 2);
      $('t-bicubic').textContent = fmt(s.bp / s.n, 2);
      $('t-gain').textContent = signed((s.sp - s.bp) / s.n);
      $('t-ssim').textContent = `${fmt(s.ss / s.n, 4)} / ${fmt(s.bs / s.n, 4)}`;
    }
    $('t-fps').textContent = fmt(m.fps, 1);
    $('t-latency').textContent = fmt(m.latencyMs, 0);
    $('t-queue').textContent = String(m.queueDepth);
    $('t-dropped').textContent = `${m.dropped} / ${m.fallback}`;
    $('t-lag').textContent = fmt(m.latencyMs, 0);
    schedule();
  };
  // A segmented run (--resume, --queue): no frame messages, but its segments and every worker, as last heard.
  const onWorkers = (m) => {
    state.workers = m;
    $('workers').hidden = false;
    $('t-segments').textContent = `${m.segments.done} / ${m.segments.inHand} / ${m.segments.total}`;
    $('t-job-frames').textContent = `${m.frames.done} / ${m.frames.total}`;
    $('t-job-fps').textContent = fmt(m.fps, 1);
    $('t-workers').textContent = `${m.workers.filter((w) => w.segment !== null).length} / ${m.workers.length}`;
    const left = m.frames.total - m.frames.done;
    $('t-job-eta').textContent = left === 0 ? 'done' : m.fps > 0 ? clock(left / m.fps) : '–';
    const body = $('worker-table').tBodies[0];
    body.replaceChildren(
      ...m.workers.map((w) => {
        const tr = document.createElement('tr');
        const cells = [
          w.worker,
          w.model,
          w.backend,
          w.segment === null ? 'none' : `${w.segment} (${w.segmentFrames} frames done)`,
          fmt(w.fps, 1),
          String(w.segmentsDone),
          String(w.framesDone),
          `${fmt(Math.max(0, m.t - w.lastSeen), 0)} s ago`,
        ];
        for (const text of cells) {
          const td = document.createElement('td');
          td.textContent = text; // never innerHTML: a worker's name comes from another machine
          if (w.segment === null) td.className = 'idle';
          tr.append(td);
        }
        return tr;
      }),
    );
  };
  const onPreview = (m) => {
    state.previews++;
    $('img-before').src = m.before;
    $('img-after').src = m.after;
    // The JPEGs are at most 1280 wide: the output's own size is named, and the size shown when it is smaller.
    const out = state.hello ? state.hello.outputSize : null;
    const shownAt = out && (out.width !== m.width || out.height !== m.height) ? ` (shown at ${m.width}x${m.height})` : '';
    $('preview-info').textContent = `frame ${m.index}, ${out ? `${out.width}x${out.height}` : `${m.width}x${m.height}`}${shownAt}`;
  };
  const onSummary = (m) => {
    state.summary = m;
    const p = m.srvid.psnr,
      b = m.bicubic.psnr;
    let quality = '';
    if (consistency() && p.mean !== null) {
      const d = m.detail;
      quality =
        (d && d.srvid.psnr.mean !== null
          ? `; detail estimate (${d.frames} frames): PSNR-Y mean ${fmt(d.srvid.psnr.mean, 2)} dB vs bicubic ${fmt(d.bicubic.psnr.mean, 2)} dB ` +
            `(${signed(d.srvid.psnr.mean - d.bicubic.psnr.mean)})`
          : '; no detail estimate') +
        `; faithfulness to the input (output downscaled back, not detail): PSNR-Y mean ${fmt(p.mean, 2)} dB (min ${fmt(p.min, 2)}), ` +
        `bicubic ${fmt(b.mean, 2)} dB (min ${fmt(b.min, 2)})`;
    } else if (p.mean !== null) {
      quality = `; PSNR-Y mean ${fmt(p.mean, 2)} dB (min ${fmt(p.min, 2)}), bicubic ${fmt(b.mean, 2)} dB (min ${fmt(b.min, 2)})`;
    }
    $('summary').textContent =
      `${m.status}: ${m.frames} frames in ${fmt(m.elapsedSec, 1)} s (${fmt(m.fps, 1)} fps)` +
      (liveChart || m.fallback || m.dropped ? `; behind real time: ${m.fallback} frames by bicubic, ${m.dropped} dropped` : '') +
      quality +
      (m.error ? `; ${m.error}` : '');
    setStatus(m.status === 'finished' ? 'finished' : 'failed', m.status === 'finished' ? 'done' : 'failed');
  };

  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${location.search}`);
  socket.onopen = () => setStatus('connected', 'live');
  socket.onclose = () => {
    if (!state.summary) setStatus('disconnected', 'closed');
  };
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'hello') onHello(m);
    else if (m.type === 'frame') onFrame(m);
    else if (m.type === 'preview') onPreview(m);
    else if (m.type === 'summary') onSummary(m);
    else if (m.type === 'interval') onInterval(m);
    else if (m.type === 'workers') onWorkers(m);
    else if (m.type === 'dropped') {
      state.missed = m.count;
      $('t-missed').textContent = String(m.count);
    }
  };
  $('preview-now').onclick = () => socket.readyState === 1 && socket.send(JSON.stringify({ type: 'preview-request' }));
  $('slider').oninput = (e) => {
    $('img-after').style.clipPath = `inset(0 0 0 ${e.target.value}%)`;
    $('divider').style.left = `${e.target.value}%`;
  };
  window.addEventListener('resize', () => {
    psnrChart?.setSize({ width: width('chart-psnr'), height: 260 });
    speedChart.setSize({ width: width('chart-speed'), height: 260 });
    liveChart?.setSize({ width: width('chart-live'), height: 240 });
  });
})();
