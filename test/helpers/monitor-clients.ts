/**
 * Many WebSocket clients of a monitor at once, raw HTTP requests (paths the client does not normalise), and
 * a process's resident memory sampled from /proc: for the monitor's security tests and the soak bench.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import WebSocket from 'ws';

/** What one client has seen: it parses nothing but each message's type, so a thousand of them stay cheap. */
export interface MonitorClient {
  readonly ws: WebSocket;
  readonly seen: { messages: number; bytes: number; hello: boolean; summary: boolean; dropped: number };
  /** Resolves with the close code when the connection ends. */
  readonly closed: Promise<number>;
}

const typeOf = (data: Buffer): string => /^\{"type":"(\w+)"/.exec(data.subarray(0, 24).toString('latin1'))?.[1] ?? '';

/** Opens one client (rejects on a refused handshake); with `paused`, it never reads a byte after the handshake. */
export const openClient = (url: string, { paused = false }: { paused?: boolean } = {}): Promise<MonitorClient> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { skipUTF8Validation: true, perMessageDeflate: false });
    const seen = { messages: 0, bytes: 0, hello: false, summary: false, dropped: 0 };
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.on('message', (data: Buffer) => {
      seen.messages++;
      seen.bytes += data.length;
      const type = typeOf(data);
      if (type === 'hello') seen.hello = true;
      else if (type === 'summary') seen.summary = true;
      else if (type === 'dropped') seen.dropped = (JSON.parse(String(data)) as { count: number }).count;
    });
    ws.once('open', () => {
      if (paused) ws.pause();
      resolve({ ws, seen, closed });
    });
    ws.once('unexpected-response', (_req, res) => {
      reject(new Error(`handshake refused: HTTP ${res.statusCode}`));
      ws.terminate();
    });
    ws.once('error', reject);
  });

/** Opens `n` clients, `batch` handshakes at a time (the server's listen backlog is finite). */
export const openClients = async (url: string, n: number, o: { paused?: boolean; batch?: number } = {}): Promise<MonitorClient[]> => {
  const clients: MonitorClient[] = [];
  const batch = o.batch ?? 50;
  for (let i = 0; i < n; i += batch) {
    clients.push(...(await Promise.all(Array.from({ length: Math.min(batch, n - i) }, () => openClient(url, o)))));
  }
  return clients;
};

export interface RawResponse {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/**
 * Sends `request` as is over a TCP socket (no client library, so nothing normalises the path) and reads the
 * answer until the server closes or `timeoutMs` passes; status 0 when there was no HTTP answer.
 */
export const rawRequest = (port: number, request: string, timeoutMs = 5000, host = '127.0.0.1'): Promise<RawResponse> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, host, () => socket.write(request));
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const head = split < 0 ? text : text.slice(0, split);
      resolve({
        status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: split < 0 ? '' : text.slice(split + 4),
      });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d: Buffer) => {
      chunks.push(d);
      // One answer is enough: with a Content-Length, stop once the body is in (keep-alive would wait).
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && text.length - split - 4 >= Number(length)) finish();
    });
    socket.on('error', finish);
    socket.on('close', finish);
  });

/** A GET with the usual headers, for `rawRequest`. */
export const get = (target: string, host: string, extra = ''): string =>
  `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;

/** Resident memory of a process, sampled every `everyMs`: the peak (VmHWM) and each sample (VmRSS), in MB. */
export const sampleRss = (
  pid: number,
  everyMs = 100,
): { readonly peakMB: () => number; readonly samples: number[]; readonly stop: () => void } => {
  let peak = 0;
  const samples: number[] = [];
  const read = (): void => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      samples.push(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
    } catch {
      // not started yet, or over
    }
  };
  read();
  const timer = setInterval(read, everyMs);
  return { peakMB: () => peak, samples, stop: () => clearInterval(timer) };
};
