import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type { LuaFactory, LuaThread } from 'wasmoon';
import { ArgumentError, describeSystemError, ExecError } from '../errors.js';
import type { Tube } from '../tube/tube.js';
import { LUA_PRELUDE } from './lua-prelude.js';
import { type LuaReadFormat, takeFormat } from './lua-read.js';

/** A --lua-exec script, read and compiled once before anything listens or connects. */
export interface LuaScript {
  /** The path as given; Lua's messages name the chunk by it (`echo.lua:3: ...`), as lua(1) does. */
  readonly file: string;
  readonly source: Buffer;
}

export interface LuaSessionOptions {
  /** What os.getenv sees: the connection's NCAT_* and SOCKCAT_* over the process environment. */
  env: Readonly<Record<string, string | undefined>>;
  /** Where io.stderr goes (sockcat's own stderr, as an -e child's). */
  stderr: { write(data: Uint8Array): unknown };
  /** Ends the session: the Lua state is dropped where it waits. */
  signal: AbortSignal;
  /** -C: applied to what the script sends. */
  transformSend?: (chunk: Buffer) => Buffer;
  /** -d: wait this long before each send. */
  sendDelayMs?: number;
  /** Taps (-o/-x, -i): every chunk sent and received. */
  onSend?: (chunk: Buffer) => void;
  onReceive?: (chunk: Buffer) => void;
}

/** How a session ended without an error: the script returned, called os.exit, or was stopped. */
export type LuaSessionEnd = 'returned' | 'exit' | 'aborted';

/** The part of the Emscripten module used here to move raw bytes (Lua strings are not text). */
interface WasmModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _lua_tolstring(L: number, index: number, length: number): number;
  _lua_pushlstring(L: number, pointer: number, length: number): number;
  _lua_isyieldable(L: number): number;
  _lua_yieldk(L: number, results: number, context: number, continuation: number): number;
  addFunction(fn: (...args: number[]) => unknown, signature: string): number;
  removeFunction(pointer: number): void;
}

const LUA_TNUMBER = 3;
const LUA_TSTRING = 4;
const LUA_MASKCOUNT = 8;
/** A running script gives the event loop a turn every this many VM instructions. */
const SLICE_INSTRUCTIONS = 100_000;
const RECEIVE_CHUNK = 64 * 1024;

type Wasmoon = typeof import('wasmoon');
let vm: Promise<{ lib: Wasmoon; factory: LuaFactory }> | undefined;

/** wasmoon and its WebAssembly module, loaded once, on first use (not at start-up). */
function loadVm(): Promise<{ lib: Wasmoon; factory: LuaFactory }> {
  vm ??= import('wasmoon').then((lib) => ({ lib, factory: new lib.LuaFactory() }));
  return vm;
}

function wasm(thread: LuaThread): WasmModule {
  return thread.lua.module as unknown as WasmModule;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? '';
}

/** Compile `source` onto the thread's stack; the message of a syntax error otherwise. */
function loadChunk(thread: LuaThread, source: Buffer, file: string): string | undefined {
  const module = wasm(thread);
  const pointer = module._malloc(source.length || 1);
  try {
    module.HEAPU8.set(source, pointer);
    const status = thread.lua.luaL_loadbufferx(
      thread.address,
      pointer,
      source.length,
      `@${file}`,
      null,
    );
    if (status === 0) return undefined;
    const message = thread.lua.lua_tolstring(thread.address, -1, null);
    thread.pop(1);
    return firstLine(message);
  } finally {
    module._free(pointer);
  }
}

/** The Lua string at `index`, byte for byte. */
function bytesAt(thread: LuaThread, index: number): Buffer {
  const module = wasm(thread);
  const lengthPointer = module._malloc(4);
  try {
    const pointer = module._lua_tolstring(thread.address, index, lengthPointer);
    const length = module.HEAPU32[lengthPointer >> 2] ?? 0;
    return Buffer.from(module.HEAPU8.subarray(pointer, pointer + length));
  } finally {
    module._free(lengthPointer);
  }
}

function pushBytes(thread: LuaThread, data: Uint8Array): void {
  const module = wasm(thread);
  const pointer = module._malloc(data.length || 1);
  try {
    module.HEAPU8.set(data, pointer);
    module._lua_pushlstring(thread.address, pointer, data.length);
  } finally {
    module._free(pointer);
  }
}

/** lua.c's message for an error value: strings as they are, other values by type. */
function errorMessage(thread: LuaThread): string {
  const type = thread.lua.lua_type(thread.address, -1);
  if (type === LUA_TSTRING || type === LUA_TNUMBER) return bytesAt(thread, -1).toString();
  const meta = thread.lua.luaL_getmetafield(thread.address, -1, '__tostring');
  if (meta !== 0) {
    thread.pop(1);
    return thread.indexToString(-1);
  }
  return `(error object is a ${thread.lua.lua_typename(thread.address, type)} value)`;
}

/**
 * Read a --lua-exec script and compile it once, so that a missing file or a syntax error fails
 * with status 2 before anything listens or connects. Resolved against `cwd`.
 */
export async function loadLuaScript(file: string, cwd: string): Promise<LuaScript> {
  let source: Buffer;
  try {
    source = await readFile(resolve(cwd, file));
  } catch (error) {
    throw new ArgumentError(
      `cannot read --lua-exec script ${JSON.stringify(file)}: ${describeSystemError(error)}`,
      { cause: error },
    );
  }
  const { factory } = await loadVm();
  const engine = await factory.createEngine();
  try {
    const failure = loadChunk(engine.global, source, file);
    if (failure !== undefined) {
      throw new ArgumentError(`cannot load --lua-exec script ${JSON.stringify(file)}: ${failure}`);
    }
  } finally {
    engine.global.close();
  }
  return { file, source };
}

/**
 * Run the script for one connection in a Lua state of its own, dropped when the session ends:
 * its standard input and output are the tube. Resolves with how it ended; rejects with an
 * ExecError whose message is the first line of a Lua error. The tube is left open for the caller.
 */
export async function runLuaScript(
  script: LuaScript,
  tube: Tube,
  options: LuaSessionOptions,
): Promise<LuaSessionEnd> {
  const { lib, factory } = await loadVm();
  const engine = await factory.createEngine();
  const global = engine.global;
  const thread = global.newThread();
  const module = wasm(thread);
  const hook = module.addFunction((L: number) => {
    // Only the session's own thread yields to the event loop: a script's coroutine must not see
    // a yield it did not make, and a C call in between cannot be yielded across.
    if (L === thread.address && module._lua_isyieldable(L)) module._lua_yieldk(L, 0, 0, 0);
  }, 'vii');
  try {
    const io = sessionIo(lib, tube, options);
    thread.loadString(LUA_PRELUDE, '=sockcat');
    for (const fn of io.functions) thread.pushValue(fn);
    thread.runSync(io.functions.length);
    const failure = loadChunk(thread, script.source, script.file);
    if (failure !== undefined) throw new ExecError(failure, script.file);
    thread.lua.lua_sethook(thread.address, hook, LUA_MASKCOUNT, SLICE_INSTRUCTIONS);
    return await drive(lib, script.file, thread, io, options.signal);
  } finally {
    module.removeFunction(hook);
    global.close();
  }
}

interface SessionIo {
  /** Passed to the prelude, in its order: send, take, more, errwrite, getenv, exit. */
  functions: unknown[];
  exitRequested(): boolean;
}

function sessionIo(lib: Wasmoon, tube: Tube, options: LuaSessionOptions): SessionIo {
  const raw = { receiveThread: true, receiveArgsQuantity: true };
  let pending: Buffer = Buffer.alloc(0);
  let eof = false;
  let receiving: Promise<void> | undefined;
  let exit = false;
  const never = new Promise<never>(() => {});

  const send = async (data: Buffer): Promise<true | string> => {
    if (options.sendDelayMs !== undefined) await sleep(options.sendDelayMs);
    const out = options.transformSend ? options.transformSend(data) : data;
    options.onSend?.(out);
    try {
      await tube.send(out);
      return true;
    } catch {
      return 'Broken pipe';
    }
  };
  const more = (): Promise<void> => {
    receiving ??= tube.recv(RECEIVE_CHUNK).then(
      (chunk) => {
        options.onReceive?.(chunk);
        pending = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
        receiving = undefined;
      },
      () => {
        // End of file, or a connection that failed: reads see the end of their input.
        eof = true;
        receiving = undefined;
      },
    );
    return receiving;
  };
  const take = (thread: LuaThread): unknown => {
    const format: LuaReadFormat =
      thread.lua.lua_type(thread.address, 1) === LUA_TNUMBER
        ? Number(thread.lua.lua_tointegerx(thread.address, 1, null))
        : (thread.lua.lua_tolstring(thread.address, 1, null) as LuaReadFormat);
    const result = takeFormat(pending, eof, format);
    if (result.kind === 'more') {
      thread.lua.lua_pushboolean(thread.address, 0);
      return new lib.LuaRawResult(1);
    }
    thread.lua.lua_pushboolean(thread.address, 1);
    if (result.value === undefined) thread.lua.lua_pushnil(thread.address);
    else pushBytes(thread, result.value);
    pending = pending.subarray(result.consumed);
    return new lib.LuaRawResult(2);
  };
  const argsBytes = (thread: LuaThread, count: number): Buffer => {
    const parts: Buffer[] = [];
    for (let index = 1; index <= count; index++) parts.push(bytesAt(thread, index));
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  };
  return {
    functions: [
      lib.decorateFunction(
        (thread: LuaThread, count: number) => send(argsBytes(thread, count)),
        raw,
      ),
      lib.decorateFunction(take, raw),
      more,
      lib.decorateFunction((thread: LuaThread, count: number) => {
        options.stderr.write(argsBytes(thread, count));
      }, raw),
      (name: string) => options.env[name],
      () => {
        exit = true;
        return never;
      },
    ],
    exitRequested: () => exit,
  };
}

const ABORTED = Symbol('aborted');

/**
 * Resume the script until it ends. Each yield is either a promise (a read or a write waiting) or
 * the hook's turn for the event loop; an abort stops at the next wait, and the state is dropped
 * without being resumed again.
 */
async function drive(
  lib: Wasmoon,
  file: string,
  thread: LuaThread,
  io: SessionIo,
  signal: AbortSignal,
): Promise<LuaSessionEnd> {
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    onAbort = () => resolve(ABORTED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    let status = thread.resume(0);
    while (status.result === lib.LuaReturn.Yield) {
      let waitFor: Promise<unknown> | undefined;
      if (status.resultCount > 0) {
        const value: unknown = thread.getValue(-1);
        thread.pop(status.resultCount);
        if (io.exitRequested()) return 'exit';
        if (value instanceof Promise) waitFor = value;
      }
      const outcome = await Promise.race([waitFor ?? nextTurn(), aborted]);
      if (outcome === ABORTED) return 'aborted';
      status = thread.resume(0);
    }
    if (status.result !== lib.LuaReturn.Ok) {
      throw new ExecError(firstLine(errorMessage(thread)), file);
    }
    return 'returned';
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
