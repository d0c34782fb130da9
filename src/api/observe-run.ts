/**
 * What `--monitor` and `--report` add to a video run: the monitor server, the per-frame messages, the
 * before/after previews and the summary, and the report file (written only when the run succeeds).
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { AbortedError, OutputError, UsageError } from '../errors.js';
import type { FrameReport, VideoInfo } from '../pipeline/ports.js';
import { checkOutputPath } from '../sink/create-encoder-sink.js';
import { makePreview } from '../monitor/make-preview.js';
import {
  createSummary,
  frameMessage,
  helloMessage,
  type FrameMessage,
  type RunDescription,
  type SummaryMessage,
} from '../monitor/messages.js';
import { serveMonitor, type MonitorServer } from '../monitor/serve-monitor.js';

export interface ObserveRunOptions {
  readonly monitor?: { readonly host: string; readonly port: number; readonly token?: string; readonly wait?: boolean };
  readonly report?: string;
  readonly overwrite?: boolean;
  /** A before/after preview every N frames (default 30), and whenever a dashboard asks. */
  readonly previewEvery?: number;
  readonly signal?: AbortSignal;
  /** Told the dashboard's address once it listens; and when the run waits for a dashboard. */
  readonly onListening?: (url: string) => void;
  readonly onWaiting?: () => void;
}

export interface RunObserver {
  readonly onStart: (info: VideoInfo, description: string, run: RunDescription) => Promise<void>;
  readonly onFrame: (r: FrameReport) => void;
  /** Publishes the summary, writes the report (on success) and closes the monitor. Never throws for the monitor. */
  readonly finish: (outcome: { elapsedSec: number; fps: number; error?: string }) => Promise<SummaryMessage>;
}

/** Parses `[host:]port` (an IPv6 host in brackets); the host defaults to 127.0.0.1. */
export const parseMonitorAddress = (value: string): { host: string; port: number } => {
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d+)$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--monitor takes [host:]port (such as 8080 or 0.0.0.0:8080), not "${value}"`);
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
};

export const observeRun = async (o: ObserveRunOptions): Promise<RunObserver> => {
  if (o.report) checkOutputPath(o.report, o.overwrite ?? false);
  const previewEvery = o.previewEvery ?? 30;
  let previewWanted = false;
  let server: MonitorServer | null = null;
  if (o.monitor) {
    try {
      server = await serveMonitor({ ...o.monitor, onPreviewRequest: () => void (previewWanted = true) });
    } catch (err) {
      throw new UsageError(
        `--monitor ${o.monitor.host}:${o.monitor.port}: cannot listen (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); pick another port, or 0 for any free one`,
      );
    }
    o.onListening?.(server.url);
  }
  const summary = createSummary();
  const rows: FrameMessage[] = [];
  let run: RunDescription | null = null;
  let matrix: string | undefined;
  let preview: Promise<void> | null = null;

  return {
    onStart: async (info, _description, r) => {
      run = r;
      matrix = info.color.matrix;
      server?.publish(helloMessage(r));
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
      if (o.report) rows.push(m);
      if (!server) return;
      server.publish(m);
      // One preview at a time; sharp runs off the main thread, so the pipeline goes on meanwhile.
      if (!preview && (previewWanted || r.index % previewEvery === 0)) {
        previewWanted = false;
        const s = server;
        preview = makePreview(r.modelInput, r.output, matrix)
          .then((p) => s.publish(p))
          .catch(() => {}) // a failed preview costs the dashboard one picture, never the run
          .finally(() => void (preview = null));
      }
    },
    finish: async (outcome) => {
      await preview;
      const message = summary.message(outcome);
      server?.publish(message);
      try {
        if (o.report && outcome.error === undefined) {
          const tmp = `${o.report}.srvid-${process.pid}.partial`;
          try {
            writeFileSync(tmp, `${JSON.stringify({ v: message.v, run, summary: message, frames: rows }, null, 1)}\n`);
            renameSync(tmp, o.report);
          } catch (err) {
            rmSync(tmp, { force: true });
            throw new OutputError(`cannot write the report ${o.report}: ${(err as Error).message}`);
          }
        }
      } finally {
        await server?.close().catch(() => {});
      }
      return message;
    },
  };
};
