// Builds dist/: the TypeScript, the dashboard page beside it, and the command made executable (tsc writes
// files without the execute bit, and npm does not always set it on a bin built after it linked it, so
// `npx srvid` could answer "Permission denied"). `npm run build` and `prepare` both run this file, so that
// `npm install` needs no nested npm (which would say its config warnings again).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/monitor/page', 'dist/monitor/page', { recursive: true });
chmodSync('dist/cli/main.js', 0o755);
