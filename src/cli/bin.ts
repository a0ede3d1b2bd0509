#!/usr/bin/env node
// The sockcat command (package.json's bin, bundled by esbuild into dist/cli/sockcat.js, a
// CommonJS file: no top-level await). start() settles only after the process has been told to exit.
import { start } from './start.js';

void start();
