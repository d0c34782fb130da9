/**
 * A short node:test reporter for `npm test` (`--test-reporter=./test/reporter.mjs`): one line per top-level suite
 * (or top-level test) as it finishes, then every failure in full (with what the failing file printed), every
 * skipped or todo test and suite with its reason, the duration, and last a line `tests: N passed, N failed,
 * N skipped` that CI reads. What passing tests print on stdout/stderr is dropped. Node sets the exit code itself
 * (non-zero when a test fails); this module only formats.
 *
 * How the closing line counts (leaf tests, each counted once):
 * - a test that runs and passes is passed; one that fails, or is cancelled (its suite's hook failed, or it
 *   outlived its parent), is failed;
 * - a skipped test is skipped, and so is a skipped suite, as one: node never runs or reports what it contains;
 * - a todo test is counted as skipped (whether it passed or failed it cannot fail the run); a todo suite's tests
 *   run and count as usual;
 * - a suite counts only through its tests, except a suite that fails by itself (a hook threw, …) with no failed
 *   test inside it, and a test file that fails with no test failing (it did not load, or exited early): each is
 *   one failed, so that `0 failed` means the run passed.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { inspect } from 'node:util';

/** Lines of a failing file's stdout/stderr shown with its failures (the last ones: the end is where it broke). */
const OUTPUT_LINES = 60;

const counts = () => ({ passed: 0, failed: 0, skipped: 0 });

const plural = (n, word) => `${n} ${word}`;

const describeCounts = (c) => {
  const parts = [];
  if (c.passed || (!c.failed && !c.skipped)) parts.push(plural(c.passed, 'passed'));
  if (c.failed) parts.push(plural(c.failed, 'failed'));
  if (c.skipped) parts.push(plural(c.skipped, 'skipped'));
  return parts.join(', ');
};

const seconds = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);

const sources = new Map();
/** The line where `name` first appears as a string literal in `file`, if it does. */
const lineOfName = (file, name) => {
  if (!sources.has(file)) {
    try {
      sources.set(file, readFileSync(file, 'utf8'));
    } catch {
      sources.set(file, '');
    }
  }
  const text = sources.get(file);
  for (const q of ["'", '"', '`']) {
    const at = text.indexOf(`${q}${name}${q}`);
    if (at >= 0) return text.slice(0, at).split('\n').length;
  }
  return undefined;
};

const where = (data) => {
  if (!data.file) return '';
  const file = relative(process.cwd(), data.file) || data.file;
  if (!data.line) return file;
  // Under tsx a TypeScript file's test locations are positions in the transpiled text, all on its line 1 (node
  // maps error stacks through source maps, not test locations): find the test's name in the source instead.
  if (/\.[cm]?tsx?$/.test(data.file) && data.line === 1) {
    const line = lineOfName(data.file, data.name);
    return line ? `${file}:${line}` : file;
  }
  return `${file}:${data.line}:${data.column ?? 1}`;
};

const reasonOf = (value) => (typeof value === 'string' && value ? value : 'no reason given');

const indent = (text, pad) =>
  String(text)
    .replace(/\s+$/, '')
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');

/** The error's own stack frames (after its message), without node's internals. */
const framesOf = (err) => {
  const stack = typeof err?.stack === 'string' ? err.stack : '';
  return stack
    .split('\n')
    .filter((l) => /^\s+at /.test(l) && !/\(node:internal\/|^\s+at node:internal\//.test(l))
    .map((l) => l.trim());
};

const formatError = (error) => {
  // The runner wraps what the test threw in an ERR_TEST_FAILURE whose `cause` is the original error.
  const err = error?.cause && typeof error.cause === 'object' ? error.cause : error;
  const out = [];
  const name = err?.name && err.name !== 'Error' ? `${err.name}${err.code ? ` [${err.code}]` : ''}: ` : '';
  out.push(indent(`${name}${err?.message ?? inspect(err)}`, '    '));
  if (err && typeof err === 'object' && ('expected' in err || 'actual' in err) && err.operator !== 'fail') {
    const show = (v) =>
      v instanceof Error || (v && typeof v === 'object' && typeof v.stack === 'string' && typeof v.message === 'string')
        ? `${v.name ?? 'Error'}: ${v.message}` // an error's stack here would be the throw site, not the test's
        : inspect(v, { depth: 4, breakLength: 100, maxStringLength: 2000, maxArrayLength: 50 });
    // assert.throws/rejects with a validation function have no expected value to show.
    if (err.expected !== undefined || !/^(throws|rejects)$/.test(err.operator)) out.push(indent(`expected: ${show(err.expected)}`, '    '));
    out.push(indent(`actual:   ${show(err.actual)}`, '    '));
    if (err.operator) out.push(`    operator: ${err.operator}`);
  }
  const frames = framesOf(err);
  if (frames.length) out.push(...frames.slice(0, 12).map((f) => `      ${f}`));
  // An error thrown in a hook: the wrapper's message says which hook.
  if (err !== error && error?.message && error.message !== err?.message) out.push(`    (${error.message})`);
  return out.join('\n');
};

export default async function* shortReporter(source) {
  const started = performance.now();
  let nodeDuration;
  const total = counts();
  /** Per file: names of the tests being reported, by nesting (for a failure's full name). */
  const names = new Map();
  /** Per file: counts of the leaves under each open suite, by nesting. */
  const open = new Map();
  /** Per file: what it printed (kept for files with a failure). */
  const output = new Map();
  /** Per file: test diagnostics (t.diagnostic) waiting for their top-level line. */
  const diagnostics = new Map();
  const failures = [];
  const failedFiles = new Set();
  const skips = [];
  const todos = [];

  const perFile = (map, file, make) => {
    let v = map.get(file);
    if (v === undefined) map.set(file, (v = make()));
    return v;
  };
  const fullName = (data) => {
    const stack = names.get(data.file) ?? [];
    return [...stack.slice(0, data.nesting), data.name].join(' > ');
  };
  /** Adds one leaf outcome to the run and to every suite above it. */
  const countLeaf = (data, outcome) => {
    total[outcome]++;
    const levels = perFile(open, data.file, () => []);
    for (let n = 0; n < data.nesting; n++) (levels[n] ??= counts())[outcome]++;
  };
  /** The leaves counted under the suite that just finished at this nesting (and clears them for its next sibling). */
  const takeSuite = (data) => {
    const levels = perFile(open, data.file, () => []);
    const c = levels[data.nesting] ?? counts();
    levels.length = data.nesting;
    return c;
  };
  const isFileEvent = (data) => data.nesting === 0 && data.file && data.name === data.file && !data.details?.type;

  function* topLevelLine(data, c, mark) {
    const d = data.details?.duration_ms;
    const loc = data.file ? `  ${relative(process.cwd(), data.file) || data.file}` : '';
    yield `${mark.padEnd(4)} ${data.name}: ${describeCounts(c)}${d === undefined ? '' : ` (${seconds(d)})`}${loc}\n`;
    const diag = diagnostics.get(data.file);
    if (diag?.length) {
      for (const m of diag) yield `       # ${m}\n`;
      diag.length = 0;
    }
  }

  for await (const { type, data } of source) {
    switch (type) {
      case 'test:start': {
        if (isFileEvent(data)) break;
        const stack = perFile(names, data.file, () => []);
        stack.length = data.nesting;
        stack[data.nesting] = data.name;
        break;
      }
      case 'test:stdout':
      case 'test:stderr': {
        perFile(output, data.file, () => []).push(data.message);
        break;
      }
      case 'test:diagnostic': {
        if (data.file) perFile(diagnostics, data.file, () => []).push(data.message);
        else {
          const m = /^duration_ms ([\d.]+)$/.exec(data.message);
          if (m) nodeDuration = Number(m[1]);
        }
        break;
      }
      case 'test:pass':
      case 'test:fail': {
        const passed = type === 'test:pass';
        if (isFileEvent(data)) {
          // A whole file failed outside any test (it did not load, or its process exited early): what it
          // printed says why. A passing file-level event carries nothing its tests did not.
          if (!passed) {
            total.failed++;
            failedFiles.add(data.file);
            failures.push({ name: `test file ${relative(process.cwd(), data.file)}`, where: where(data), error: data.details?.error });
            yield `FAIL ${relative(process.cwd(), data.file)}: the file failed outside its tests\n`;
          }
          break;
        }
        const isSuite = data.details?.type === 'suite';
        const skipped = data.skip !== undefined && data.skip !== false;
        const todo = data.todo !== undefined && data.todo !== false;
        const failureType = data.details?.error?.failureType;
        let c; // the leaves under this one, for its top-level line
        if (skipped) {
          skips.push({ name: fullName(data), where: where(data), reason: reasonOf(data.skip), suite: isSuite });
          countLeaf(data, 'skipped');
          c = { ...counts(), skipped: 1 };
        } else if (isSuite) {
          if (todo) todos.push({ name: fullName(data), where: where(data), reason: reasonOf(data.todo), suite: true });
          c = takeSuite(data);
          if (!passed && failureType !== 'subtestsFailed') {
            failedFiles.add(data.file);
            failures.push({ name: fullName(data), where: where(data), error: data.details?.error });
            if (!c.failed) {
              // The suite failed by itself (a hook) with no failed test: count it, in the suites above too.
              countLeaf(data, 'failed');
              c.failed++;
            }
          }
        } else if (todo) {
          todos.push({ name: fullName(data), where: where(data), reason: reasonOf(data.todo), suite: false, failed: !passed });
          countLeaf(data, 'skipped');
          c = { ...counts(), skipped: 1 };
        } else if (passed) {
          countLeaf(data, 'passed');
          c = { ...counts(), passed: 1 };
        } else {
          failedFiles.add(data.file);
          const cancelled = failureType === 'cancelledByParent';
          failures.push({ name: fullName(data), where: where(data), error: data.details?.error, cancelled });
          countLeaf(data, 'failed');
          c = { ...counts(), failed: 1 };
        }
        if (data.nesting === 0) yield* topLevelLine(data, c, c.failed ? 'FAIL' : c.passed ? 'ok' : 'skip');
        break;
      }
      default:
        break;
    }
  }

  const out = [];
  if (skips.length || todos.length) {
    out.push('', 'skipped and todo:');
    for (const s of skips) out.push(`  skipped ${s.suite ? 'suite' : 'test'} ${s.name} (${s.where}): ${s.reason}`);
    for (const t of todos) {
      const state = t.suite ? 'suite' : `test, ${t.failed ? 'fails' : 'passes'}`;
      out.push(`  todo (${state}) ${t.name} (${t.where}): ${t.reason}`);
    }
  }
  if (failures.length) {
    out.push('', `failures (${failures.length}):`);
    failures.forEach((f, i) => {
      out.push('', `${i + 1}) ${f.name}`, `    at ${f.where}`);
      if (f.cancelled) out.push(`    cancelled: ${f.error?.message ?? 'did not finish'}`);
      else out.push(formatError(f.error));
    });
    for (const file of failedFiles) {
      const text = (output.get(file) ?? []).join('');
      if (!text.trim()) continue;
      const lines = text.replace(/\s+$/, '').split('\n');
      const shown = lines.slice(-OUTPUT_LINES);
      out.push(
        '',
        `output of ${relative(process.cwd(), file)}${lines.length > shown.length ? ` (last ${shown.length} of ${lines.length} lines)` : ''}:`,
      );
      out.push(...shown.map((l) => `  | ${l}`));
    }
  }
  out.push('', `duration: ${seconds(nodeDuration ?? performance.now() - started)}`);
  out.push(`tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
  yield `${out.join('\n')}\n`;
}
