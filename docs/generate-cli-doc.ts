// Writes docs/cli.md from the option table (npm run docs); a test checks it is current.
import { writeFileSync } from 'node:fs';
import { renderHelp } from '../src/cli/options.js';

const doc = `# srvid command line

Generated from \`src/cli/options.ts\` by \`npm run docs\`; \`srvid --help\` prints the same.

\`\`\`text
${renderHelp().trimEnd()}
\`\`\`
`;
writeFileSync(new URL('./cli.md', import.meta.url), doc);
