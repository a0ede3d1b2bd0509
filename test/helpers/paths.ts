import { fileURLToPath } from 'node:url';

/** Paths of the built artefacts, from dist/test/helpers/. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
