// srvid monitor page: connects to /ws on the same host (with the page's ?token=), plots each frame message,
// shows previews. No build step: plain browser JavaScript and uPlot served by srvid itself.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const state = { frames: 0, previews: 0, summary: null, hello: null, missed: 0, sums: { sp: 0, bp: 0, ss: 0, bs: 0, n: 0 } };
  window.srvidDashboard = state; // read by the browser test
  const x = [],
    psnr = [],
    bic = [],
    fps = [],
    latency = [];

  const width = (id) => Math.max(300, $(id).clientWidth - 12);
  const psnrChart = new uPlot(
    {
      width: width('chart-psnr'),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: 'frame' }, { label: 'dB' }],
      series: [{ label: 'frame' }, { label: 'srvid', stroke: '#d33', width: 1.5 }, { label: 'bicubic', stroke: '#36c', width: 1.5 }],
    },
    [x, psnr, bic],
    $('chart-psnr'),
  );
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

  let redraw = false;
  const schedule = () => {
    if (redraw) return;
    redraw = true;
    requestAnimationFrame(() => {
      redraw = false;
      psnrChart.setData([x, psnr, bic]);
      speedChart.setData([x, fps, latency]);
    });
  };
  const fmt = (v, d) => (v === null || v === undefined ? '–' : v.toFixed(d));
  const setStatus = (text, cls) => {
    $('status').textContent = text;
    $('status').className = `status ${cls}`;
  };

  const onHello = (m) => {
    state.hello = m;
    $('run').textContent =
      `${m.input} (${m.inputSize.width}x${m.inputSize.height}) → ${m.output} (${m.outputSize.width}x${m.outputSize.height}), ` +
      `x${m.scale}, ${m.model} on ${m.backend}${m.totalFrames ? `, ${m.totalFrames} frames` : ''}`;
    $('reference').textContent = m.mode
      ? `${m.mode}: ${m.reference}. ${m.metrics.psnr}; ${m.metrics.ssim}.`
      : 'no quality metrics in this run';
  };
  const onFrame = (m) => {
    state.frames++;
    x.push(m.index);
    psnr.push(m.srvid ? m.srvid.psnr : null);
    bic.push(m.bicubic ? m.bicubic.psnr : null);
    fps.push(m.fps);
    latency.push(m.latencyMs);
    const s = state.sums;
    if (m.srvid && m.bicubic) {
      s.sp += m.srvid.psnr;
      s.bp += m.bicubic.psnr;
      s.ss += m.srvid.ssim;
      s.bs += m.bicubic.ssim;
      s.n++;
    }
    $('t-frames').textContent = String(m.index + 1);
    if (s.n) {
      $('t-psnr').textContent = fmt(s.sp / s.n, 2);
      $('t-bicubic').textContent = fmt(s.bp / s.n, 2);
      $('t-gain').textContent = `${s.sp >= s.bp ? '+' : ''}${fmt((s.sp - s.bp) / s.n, 2)}`;
      $('t-ssim').textContent = `${fmt(s.ss / s.n, 4)} / ${fmt(s.bs / s.n, 4)}`;
    }
    $('t-fps').textContent = fmt(m.fps, 1);
    $('t-latency').textContent = fmt(m.latencyMs, 0);
    $('t-queue').textContent = String(m.queueDepth);
    $('t-dropped').textContent = `${m.dropped} / ${m.fallback}`;
    schedule();
  };
  const onPreview = (m) => {
    state.previews++;
    $('img-before').src = m.before;
    $('img-after').src = m.after;
    $('preview-info').textContent = `frame ${m.index}, ${m.width}x${m.height}`;
  };
  const onSummary = (m) => {
    state.summary = m;
    const p = m.srvid.psnr,
      b = m.bicubic.psnr;
    $('summary').textContent =
      `${m.status}: ${m.frames} frames in ${fmt(m.elapsedSec, 1)} s (${fmt(m.fps, 1)} fps)` +
      (p.mean !== null
        ? `; PSNR-Y mean ${fmt(p.mean, 2)} dB (min ${fmt(p.min, 2)}), bicubic ${fmt(b.mean, 2)} dB (min ${fmt(b.min, 2)})`
        : '') +
      (m.error ? `; ${m.error}` : '');
    setStatus(m.status === 'finished' ? 'finished' : 'failed', m.status === 'finished' ? 'done' : 'failed');
  };

  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${location.search}`);
  socket.onopen = () => setStatus('live', 'live');
  socket.onclose = () => {
    if (!state.summary) setStatus('disconnected', 'closed');
  };
  socket.onmessage = (event) => {
    const m = JSON.parse(event.data);
    if (m.type === 'hello') onHello(m);
    else if (m.type === 'frame') onFrame(m);
    else if (m.type === 'preview') onPreview(m);
    else if (m.type === 'summary') onSummary(m);
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
    psnrChart.setSize({ width: width('chart-psnr'), height: 260 });
    speedChart.setSize({ width: width('chart-speed'), height: 260 });
  });
})();
