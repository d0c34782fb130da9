/**
 * What `--monitor` and `--report` add to a video run: the monitor server, the per-frame messages, the
 * before/after previews, the per-second interval messages and the summary, and the report file (written when
 * the run succeeds, or when a live run is stopped by a signal).
 */
import { AbortedError, OutputError, UsageError } from '../errors.js';
import type { FrameReport, VideoInfo } from '../pipeline/ports.js';
import { makePreview } from './make-preview.js';
import {
  createIntervals,
  createSummary,
  frameMessage,
  helloMessage,
  type RunDescription,
  type SummaryMessage,
  type WorkersMessage,
} from './messages.js';
import { isLoopback } from './request-guard.js';
import { serveMonitor, type MonitorServer } from './serve-monitor.js';
import { spoolReport } from './spool-report.js';

/** Where the monitor listens: `{ host: '127.0.0.1', port: 8080 }`; port 0 takes any free one. */
export interface MonitorAddress {
  readonly host: string;
  readonly port: number;
}

/** The warning for a monitor that other machines can reach and that has no token; null when there is none to give. */
export const exposureWarning = (server: { readonly address: { host: string; port: number } }, token: string | undefined): string | null => {
  const { host, port } = server.address;
  if (token !== undefined || isLoopback(host)) return null;
  return `the monitor on ${host.includes(':') ? `[${host}]` : host}:${port} is reachable from other machines and has no --monitor-token; anyone who can reach it sees the run`;
};

/** The dashboard and WebSocket server of a run. */
export interface MonitorOptions extends Partial<MonitorAddress> {
  /** Clients must give `?token=TOKEN`. */
  readonly token?: string;
  /** Start upscaling only once a dashboard or WebSocket client has connected. */
  readonly wait?: boolean;
  /** WebSocket clients at once (default 1000); the next one is refused with HTTP 503. */
  readonly maxClients?: number;
}

export interface ObserveRunOptions {
  readonly monitor?: MonitorOptions;
  readonly report?: string;
  /** A before/after preview every N frames, and whenever a dashboard asks. */
  readonly previewEvery: number;
  /** Milliseconds between interval messages (default 1000). */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
  /** Told the dashboard's address once it listens; and when the run waits for a dashboard. */
  readonly onListening?: (url: string) => void;
  readonly onWaiting?: () => void;
  /** Told, once, when the monitor can be reached from other machines without a token. */
  readonly onWarning?: (message: string) => void;
}

export interface RunObserver {
  readonly onStart: (info: VideoInfo, run: RunDescription) => Promise<void>;
  readonly onFrame: (r: FrameReport) => void;
  /** A segmented run's workers and segments (its frames are not reported one by one). */
  readonly onWorkers: (m: WorkersMessage) => void;
  /** Publishes the summary, writes the report (on success) and closes the monitor. Never throws for the monitor. */
  readonly finish: (outcome: { elapsedSec: number; fps: number; error?: string; frames?: number }) => Promise<SummaryMessage>;
}

/** The monitor server, listening, with its exposure warning given and its address told. */
const startMonitor = async (o: ObserveRunOptions, monitor: MonitorOptions, onPreviewRequest: () => void): Promise<MonitorServer> => {
  const at = { host: monitor.host ?? '127.0.0.1', port: monitor.port ?? 0 };
  let server: MonitorServer;
  try {
    server = await serveMonitor({ ...monitor, ...at, onPreviewRequest });
  } catch (err) {
    throw new UsageError(
      `--monitor ${at.host}:${at.port}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pick another port, or 0 for any free one`,
    );
  }
  const warning = exposureWarning(server, monitor.token);
  if (warning) o.onWarning?.(warning);
  o.onListening?.(server.url);
  return server;
};

export const observeRun = async (o: ObserveRunOptions): Promise<RunObserver> => {
  const previewEvery = o.previewEvery;
  let previewWanted = false;
  const server = o.monitor ? await startMonitor(o, o.monitor, () => void (previewWanted = true)) : null;
  const summary = createSummary();
  // On disk, not in memory: a live run may never end.
  const rows = o.report ? spoolReport(o.report) : null;
  const intervals = createIntervals();
  let ticker: NodeJS.Timeout | null = null;
  let t0 = 0;
  let run: RunDescription | null = null;
  let matrix: string | undefined;
  let preview: Promise<void> | null = null;

  return {
    onStart: async (info, r) => {
      run = r;
      matrix = info.color.matrix;
      server?.publish(helloMessage(r));
      if (server && !r.segmented) {
        // One summary a second (lag, bicubic, dropped), from the start: the dashboard's history of any run's length.
        const s = server;
        t0 = performance.now();
        ticker = setInterval(() => s.publish(intervals.take((performance.now() - t0) / 1000)), o.intervalMs ?? 1000);
        ticker.unref();
      }
      if (server && o.monitor?.wait) {
        o.onWaiting?.();
        await server.waitForClient(o.signal).catch(() => {
          throw new AbortedError();
        });
      }
    },
    onFrame: (r) => {
      const m = frameMessage(r);
      summary.add(r);
      intervals.add(r);
      rows?.add(m);
      if (!server) return;
      server.publish(m);
      // One preview at a time; sharp runs off the main thread, so the pipeline goes on meanwhile.
      if (!preview && (previewWanted || (previewEvery > 0 && r.index % previewEvery === 0))) {
        previewWanted = false;
        const s = server;
        preview = makePreview(r.modelInput, r.output, matrix)
          .then((p) => s.publish(p))
          .catch(() => {}) // a failed preview costs the dashboard one picture, never the run
          .finally(() => void (preview = null));
      }
    },
    onWorkers: (m) => server?.publish(m),
    finish: async (outcome) => {
      if (ticker) {
        clearInterval(ticker);
        server?.publish(intervals.take((performance.now() - t0) / 1000)); // the last, partial second
      }
      await preview;
      const message = summary.message(outcome);
      server?.publish(message);
      try {
        // A live run may only ever end by a signal: its report is written then too, its summary saying so.
        const stoppedLive = run?.live === true && o.signal?.aborted === true;
        if (rows && (outcome.error === undefined || stoppedLive)) {
          try {
            // The report's run is the hello message without its type: the same labels the dashboard shows.
            const described = run ? (({ type: _type, ...rest }) => rest)(helloMessage(run)) : null;
            rows.commit({ v: message.v, run: described, summary: message });
          } catch (err) {
            throw new OutputError(`cannot write the report ${o.report}: ${(err as Error).message}`);
          }
        }
      } finally {
        rows?.discard();
        await server?.close().catch(() => {});
      }
      return message;
    },
  };
};
