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
