import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found from this file's place in test/support/. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Other projects' test data, laid beside the repository as `../shared/corpora`; tests skip when it is absent. */
export const CORPORA = path.resolve(REPO_ROOT, '../shared/corpora');
export const HAS_CORPORA = existsSync(CORPORA);

export const EXAMPLE = path.join(REPO_ROOT, 'examples/sde-cluster');
