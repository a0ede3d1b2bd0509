#!/usr/bin/env node
// The sockcat command (package.json's bin, bundled by esbuild into dist/cli/sockcat.js).
import { start } from './start.js';

await start();
