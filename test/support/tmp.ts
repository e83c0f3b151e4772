import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';

const created: string[] = [];

afterEach(async () => {
  for (const dir of created.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Writes a snapshot folder from `{ relativePath: contents }` and removes it after the test. */
export async function writeSnapshot(files: Record<string, string | object>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'rampart-test-'));
  created.push(root);
  for (const [relative, contents] of Object.entries(files)) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, typeof contents === 'string' ? contents : `${JSON.stringify(contents, null, 4)}\n`);
  }
  return root;
}
