import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArgumentError } from '../errors.js';
import type { JsExecHandler } from '../relay/exec-module.js';

/** The first line of an error's message: a module's syntax error must not print a code frame. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n', 1)[0] ?? '';
}

/**
 * Load a --js-exec module once, resolved against the working directory, and return its default
 * export. ArgumentError (exit 2) when it cannot be loaded or has no default function.
 */
export async function loadJsExecHandler(file: string, cwd: string): Promise<JsExecHandler> {
  const url = pathToFileURL(resolve(cwd, file)).href;
  let loaded: { default?: unknown };
  try {
    loaded = (await import(url)) as { default?: unknown };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ERR_MODULE_NOT_FOUND' ? 'module not found' : firstLine(error);
    throw new ArgumentError(`cannot load --js-exec module ${JSON.stringify(file)}: ${reason}`, {
      cause: error,
    });
  }
  if (typeof loaded.default !== 'function') {
    throw new ArgumentError(
      `--js-exec module ${JSON.stringify(file)} has no default export function (export default async function (tube, info) { ... })`,
    );
  }
  return loaded.default as JsExecHandler;
}
