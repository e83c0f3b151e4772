import { closeSync, openSync, writeSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { UsageError, type Io } from './io.js';

/** Writes a command's result to `--output FILE` when given, else to standard output. */
export async function emitOutput(text: string, output: string | undefined, io: Io, progress: (text: string) => void): Promise<void> {
  if (!output) {
    io.stdout(text);
    return;
  }
  await writeFile(output, text).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${output}: ${error.message}`);
  });
  progress(`Wrote ${output}`);
}

/** Writes output made in pieces to `--output FILE` when given, else to standard output, as the pieces come. */
export async function emitStreamedOutput(produce: (write: (text: string) => void) => void, output: string | undefined, io: Io, progress: (text: string) => void): Promise<void> {
  if (!output) {
    produce((text) => io.stdout(text));
    return;
  }
  const fail = (error: NodeJS.ErrnoException) => new UsageError(`cannot write ${output}: ${error.message}`);
  let handle: number;
  try {
    handle = openSync(output, 'w');
  } catch (error) {
    throw fail(error as NodeJS.ErrnoException);
  }
  try {
    produce((text) => {
      writeSync(handle, text);
    });
  } catch (error) {
    // A write error has an errno code; anything else is a failure of the producer and goes up unchanged.
    if ((error as NodeJS.ErrnoException).code === undefined) throw error;
    throw fail(error as NodeJS.ErrnoException);
  } finally {
    closeSync(handle);
  }
  progress(`Wrote ${output}`);
}
