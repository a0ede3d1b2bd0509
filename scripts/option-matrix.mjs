// Rewrites docs/cli.md's option × mode table (between the option-matrix markers) from the built
// option table and plan: `npm run build && node scripts/option-matrix.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMatrixTable } from '../dist/src/cli/option-matrix.js';

const path = new URL('../docs/cli.md', import.meta.url);
const doc = readFileSync(path, 'utf8');
const start = '<!-- option-matrix:start -->';
const end = '<!-- option-matrix:end -->';
const from = doc.indexOf(start);
const to = doc.indexOf(end);
if (from === -1 || to < from) throw new Error('docs/cli.md lacks the option-matrix markers');
writeFileSync(
  path,
  `${doc.slice(0, from + start.length)}\n${renderMatrixTable()}\n${doc.slice(to)}`,
);
