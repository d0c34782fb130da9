/** Imports point inward: adapters (ingest, models, sink) never import each other; the pipeline imports no adapter. */
module.exports = {
  forbidden: [
    {
      name: 'adapters-do-not-import-each-other',
      severity: 'error',
      from: { path: '^src/(ingest|models|sink)/' },
      to: { path: '^src/(ingest|models|sink)/', pathNot: '^src/$1/' },
    },
    {
      name: 'pipeline-imports-no-adapter',
      severity: 'error',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(ingest|models|sink|cli|api)/' },
    },
    {
      name: 'only-the-two-spawners-use-child-process',
      comment: 'ffmpeg/ffprobe are spawned in src/ingest/spawn-decoder.ts and src/sink/spawn-encoder.ts only',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(ingest/spawn-decoder|sink/spawn-encoder)\\.ts$' },
      to: { path: '^(node:)?child_process$', dependencyTypesNot: ['type-only'] },
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
