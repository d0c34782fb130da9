/**
 * The rooms of src/ and the arrows allowed between them (docs/architecture.md draws the same picture).
 * Imports point inward: adapters use the pipeline's ports, the pure image/ helpers, the ffmpeg/ processes and
 * errors.ts, never each other; only the wiring rooms, segments/ and api/, put adapters together, api/ above
 * segments/, and the CLI talks to the API alone.
 */
const ADAPTERS = '(ingest|models|sink|quality|monitor)';

module.exports = {
  forbidden: [
    {
      name: 'adapters-do-not-import-each-other',
      severity: 'error',
      from: { path: `^src/${ADAPTERS}/` },
      to: { path: `^src/${ADAPTERS}/`, pathNot: '^src/$1/' },
    },
    {
      name: 'adapters-do-not-import-the-wiring',
      severity: 'error',
      from: { path: `^src/(${ADAPTERS.slice(1, -1)}|image|ffmpeg|pipeline)/` },
      to: { path: '^src/(segments/|api/|cli/|index\\.ts)' },
    },
    {
      name: 'segments-are-wired-by-the-api',
      comment:
        'segmented jobs (journal, queue, cut, schedulers, the per-segment run, the join, the worker loop) compose adapters like the API does, one level below it: never the API, the CLI or index.ts',
      severity: 'error',
      from: { path: '^src/segments/' },
      to: { path: '^src/(api/|cli/|index\\.ts)' },
    },
    {
      name: 'pipeline-imports-no-adapter',
      comment: 'the pipeline is the core: frame, ports, progress, operators; it imports only itself and errors.ts',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/', pathNot: '^src/(pipeline/|errors\\.ts$)' },
    },
    {
      name: 'image-is-pure',
      comment: 'resampling and colour: functions on planes, nothing else from src',
      severity: 'error',
      from: { path: '^src/image/' },
      to: { path: '^src/', pathNot: '^src/(image/|errors\\.ts$|pipeline/frame\\.ts$)' },
    },
    {
      name: 'ffmpeg-uses-only-ports',
      comment: 'the process room knows the port types and errors, not the adapters that use it',
      severity: 'error',
      from: { path: '^src/ffmpeg/' },
      to: { path: '^src/', pathNot: '^src/(ffmpeg/|errors\\.ts$|pipeline/(ports|frame)\\.ts$)' },
    },
    {
      name: 'the-journal-and-queue-know-only-ports',
      comment:
        'the journal, the work folder and the BullMQ queue: plain data and the port types, no frames, no processes; ' +
        'the journal is written through the one temp-then-rename helper every writer uses (ffmpeg/temp-file.ts)',
      severity: 'error',
      from: { path: '^src/segments/(journal|work-dir|queue)\\.ts$' },
      to: {
        path: '^src/',
        pathNot: '^src/(segments/(journal|work-dir|queue)\\.ts|errors\\.ts|pipeline/ports\\.ts|ffmpeg/temp-file\\.ts)$',
      },
    },
    {
      name: 'only-src-ffmpeg-spawns',
      comment: 'ffmpeg and ffprobe are started in src/ffmpeg/ only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/ffmpeg/' },
      to: { path: '^(node:)?child_process$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'the-cli-talks-to-the-api-alone',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/', pathNot: '^src/(cli/|api/|errors\\.ts$|pipeline/ports\\.ts$)' },
    },
    { name: 'src-does-not-import-tests', severity: 'error', from: { path: '^src/' }, to: { path: '^test/' } },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
