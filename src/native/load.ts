import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.js';

/** What the optional addon in native/ exports. */
export interface NativeAddon {
  /** A listening TCP socket with SO_REUSEADDR and SO_REUSEPORT set; returns its fd. */
  listenReusePort(
    family: 4 | 6,
    address: string,
    port: number,
    backlog: number,
    ipv6Only: boolean,
  ): number;
  /** setsockopt(fd, level, name, &value, sizeof(int)); throws an errno-coded Error on failure. */
  setIntSockopt?(fd: number, level: number, name: number, value: number): void;
}

let cached: NativeAddon | null | undefined;
let loadError: unknown;

/**
 * The addon, or undefined when it is not built, cannot load, or SOCKCAT_NO_NATIVE=1 disables it.
 * Loaded on first use only: the CLI's start-up never pays for it.
 */
export function loadNative(): NativeAddon | undefined {
  if (cached !== undefined) return cached ?? undefined;
  if (process.env['SOCKCAT_NO_NATIVE'] === '1') {
    cached = null;
    loadError = new Error('disabled by SOCKCAT_NO_NATIVE=1');
    return undefined;
  }
  try {
    // From dist/src/native/ to native/build/Release/.
    const require = createRequire(import.meta.url);
    cached = require('../../../native/build/Release/sockcat_native.node') as NativeAddon;
  } catch (error) {
    cached = null;
    loadError = error;
  }
  return cached ?? undefined;
}

/** The addon, or an UnsupportedError naming the feature and how to get the addon. */
export function requireNative(feature: string): NativeAddon {
  const addon = loadNative();
  if (addon) return addon;
  const why = loadError instanceof Error ? loadError.message.split('\n')[0] : String(loadError);
  throw new UnsupportedError(
    `${feature} is not available: build the native addon (needs g++ and make; run \`npm rebuild sockcat\`) — ${why}`,
  );
}
