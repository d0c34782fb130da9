/** Runs the built `srvid` binary (dist/cli/main.js) and finds processes a test left behind. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
/** The same command with run hooks made from the SRVID_TEST_* variables (hooked-cli.mjs); srvid reads none of them. */
export const HOOKED_CLI = fileURLToPath(new URL('./hooked-cli.mjs', import.meta.url));

/** The command to start for `env`: the hooked one when the test sets a SRVID_TEST_* variable. */
export const cliFor = (env: NodeJS.ProcessEnv = {}): string =>
  Object.keys(env).some((k) => k.startsWith('SRVID_TEST_')) ? HOOKED_CLI : CLI;

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything written to stderr so far. */
  readonly stderr: () => string;
  /** Resolves when stderr matches `pattern` (rejects if the CLI exits first or after `timeoutMs`). */
  readonly waitForStderr: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  readonly done: Promise<CliResult>;
}

const assertBuilt = (): void => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` before the end-to-end tests`);
};

/** Starts `node dist/cli/main.js ...args` with stdin closed; non-TTY, so progress lines are plain. */
export const startCli = (
  args: readonly string[],
  {
    cwd,
    env,
    detached = false,
    cli = cliFor(env),
  }: { cwd?: string; env?: NodeJS.ProcessEnv; detached?: boolean; /** Another copy of main.js to run. */ cli?: string } = {},
): RunningCli => {
  assertBuilt();
  // `detached` gives the CLI its own process group, so a test can signal it and its ffmpeg children together.
  const child = spawn(process.execPath, [cli, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached,
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => {
    err += t;
    for (const w of waiters) w();
  });
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  const waitForStderr = (pattern: RegExp, timeoutMs = 30_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (pattern.test(err)) finish(null);
      };
      const finish = (e: Error | null): void => {
        waiters.delete(check);
        clearTimeout(timer);
        if (e) reject(e);
        else resolve();
      };
      const timer = setTimeout(
        () => finish(new Error(`stderr did not match ${pattern} within ${timeoutMs} ms; it was:\n${err}`)),
        timeoutMs,
      );
      waiters.add(check);
      void done.then((r) =>
        finish(pattern.test(r.stderr) ? null : new Error(`srvid exited (code ${r.code}) before stderr matched ${pattern}:\n${r.stderr}`)),
      );
      check();
    });
  return { child, stderr: () => err, waitForStderr, done };
};

/** Runs the CLI to the end; kills it after `timeoutMs` so a hung run fails the test instead of blocking it. */
export const runCli = async (
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CliResult> => {
  const run = startCli(args, o);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
};

/** Non-empty lines of a text. */
export const lines = (text: string): string[] => text.split(/\r?\n/).filter((l) => l.trim() !== '');

export interface ProcessInfo {
  readonly pid: number;
  readonly args: string;
}

/** Live processes (not zombies) whose command line contains `needle`, read from /proc. */
export const processesMentioning = (needle: string): ProcessInfo[] => {
  const found: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ').trim();
      if (!args.includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
      found.push({ pid: Number(name), args });
    } catch {
      // the process ended while we looked
    }
  }
  return found.filter((p) => p.pid !== process.pid);
};

/** Polls until no process mentions `needle`, or `timeoutMs` passes; returns those still there. */
export const waitUntilGone = async (needle: string, timeoutMs = 5000): Promise<ProcessInfo[]> => {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = processesMentioning(needle);
    if (left.length === 0 || Date.now() >= until) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
};

/** Kills (SIGKILL) the processes this test started that still mention its temp folder; for `after` hooks. */
export const killLeftovers = (needle: string): void => {
  for (const p of processesMentioning(needle)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
};

/** Names in `dir` that look like srvid's temporary output (`*.partial*`). */
export const partialFiles = (dir: string): string[] => readdirSync(dir).filter((n) => n.includes('.partial'));

/** Processes whose parent is `pid` and whose command line contains `needle`, from /proc. */
export const childrenOf = (pid: number, needle = ''): ProcessInfo[] =>
  processesMentioning(needle).filter((p) => {
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false; // gone meanwhile
    }
  });

/**
 * Resolves once srvid (`pid`) has started its decoder on stdin. A real-time producer started only then sends
 * in real time from srvid's point of view too: started earlier, on a busy machine, its whole stream may wait in
 * the pipe while srvid starts, and then arrives at once, as a file does.
 */
export const waitForStdinDecoder = (pid: number, timeoutMs = 60_000): Promise<void> => waitForDecoder(pid, 'pipe:0', timeoutMs);

/**
 * Resolves once something on this machine listens on `port` (TCP, state LISTEN) or has bound it (UDP), read
 * from /proc/net without connecting: a probe connection would take a one-shot listener's only accept.
 */
export const waitForPort = async (port: number, proto: 'tcp' | 'udp', timeoutMs = 60_000): Promise<void> => {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const bound = (): boolean =>
    [`/proc/net/${proto}`, `/proc/net/${proto}6`].some((file) => {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return false;
      }
      return text
        .split('\n')
        .slice(1)
        .some((line) => {
          const [, local, , state] = line.trim().split(/\s+/);
          return local?.endsWith(`:${hex}`) && (proto === 'udp' || state === '0A');
        });
    });
  const until = Date.now() + timeoutMs;
  while (!bound()) {
    if (Date.now() >= until) throw new Error(`nothing listens on ${proto} port ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Resolves once srvid (pid) has started an ffmpeg child whose command line names `input` (a live input's decoder). */
export const waitForDecoder = async (pid: number, input: string, timeoutMs = 60_000): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (childrenOf(pid, input).length === 0) {
    if (Date.now() >= until) throw new Error(`srvid (pid ${pid}) started no decoder of ${input} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
