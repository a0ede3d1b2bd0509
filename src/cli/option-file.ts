import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { quoteInput } from '../address/quote.js';
import { ArgumentError, describeSystemError } from '../errors.js';

/**
 * Why a file named by an option could not be used, in words ("No such file or directory"); the
 * system code stays on the error's `cause` (shown by --json and -vvv), never in the line.
 */
function fileProblem(flag: string, verb: string, path: string, error: unknown): ArgumentError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const words =
    code === 'EISDIR'
      ? 'Is a directory'
      : code === 'ENOTDIR'
        ? 'Not a directory'
        : code === 'ENAMETOOLONG'
          ? 'File name too long'
          : code === 'ELOOP'
            ? 'Too many levels of symbolic links'
            : describeSystemError(error);
  return new ArgumentError(`cannot ${verb} ${flag} file ${quoteInput(path)}: ${words}`, {
    cause: error,
  });
}

/** Read a file named by an option (a PEM file, an --allowfile); failure is exit 2, in words. */
export function readOptionFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw fileProblem(flag, 'read', path, error);
  }
}

/**
 * Check, without touching it, that a file named by an option can be written (created in its
 * directory when it does not exist), so that a run refuses it before any socket opens and opens
 * it only later.
 */
export function checkWritableFile(path: string, flag: string): void {
  try {
    let exists = true;
    try {
      if (statSync(path).isDirectory()) {
        throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      exists = false;
    }
    accessSync(exists ? path : dirname(path), constants.W_OK);
  } catch (error) {
    throw fileProblem(flag, 'open', path, error);
  }
}

/** The error for a file that failed to open after the check (a race, a full disk). */
export function openFailure(path: string, flag: string, error: unknown): ArgumentError {
  return fileProblem(flag, 'open', path, error);
}
