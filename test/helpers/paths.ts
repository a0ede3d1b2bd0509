import { fileURLToPath } from 'node:url';

/** Paths of the built artefacts, from dist/test/helpers/. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI as shipped: the esbuild bundle that package.json's bin names. */
export const BIN = fileURLToPath(new URL('../../cli/sockcat.js', import.meta.url));
export const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
