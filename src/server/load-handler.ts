import { pathToFileURL } from 'node:url';
import { ArgumentError } from '../errors.js';
import type { Handler } from './types.js';

/** A module specifier as a URL string that `import()` and workers both understand. */
export function handlerModuleUrl(handler: URL | string): string {
  if (handler instanceof URL) return handler.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(handler)) return handler;
  return pathToFileURL(handler).href;
}

/** Import a handler module: its `handler` export, else its default export. */
export async function loadHandler(moduleUrl: string): Promise<Handler> {
  const module = (await import(moduleUrl)) as { handler?: unknown; default?: unknown };
  const handler = module.handler ?? module.default;
  if (typeof handler !== 'function') {
    throw new ArgumentError(
      `handler module ${moduleUrl} must export a function as "handler" or as its default export`,
    );
  }
  return handler as Handler;
}
