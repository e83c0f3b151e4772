import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CHECKS } from '../../src/checks/registry.js';
import { CATEGORIES, SEVERITIES } from '../../src/checks/types.js';
import { RESOURCE_KINDS } from '../../src/inventory/model.js';
import { REPO_ROOT } from '../support/corpora.js';

const metaSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)+$/),
  title: z.string().min(10).max(80),
  severity: z.enum(SEVERITIES),
  category: z.enum(CATEGORIES),
  description: z.string().min(30).endsWith('.'),
  reads: z.array(z.enum(RESOURCE_KINDS)).min(1),
  requires: z.array(z.enum(RESOURCE_KINDS)),
  // A group of one kind belongs in `requires`.
  requiresAny: z.array(z.array(z.enum(RESOURCE_KINDS)).min(2)).min(1).optional(),
  references: z.array(z.url()).min(1),
  limitations: z.array(z.string().min(10)),
});

const checksDoc = existsSync(path.join(REPO_ROOT, 'docs/checks.md')) ? readFileSync(path.join(REPO_ROOT, 'docs/checks.md'), 'utf8') : '';

describe('check metadata', () => {
  it('registry is not empty', () => {
    expect(CHECKS.length).toBeGreaterThan(0);
  });

  it('ids are unique', () => {
    const ids = CHECKS.map((check) => check.meta.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  describe.each(CHECKS.map((check) => [check.meta.id, check] as const))('%s', (id, check) => {
    it('matches the schema', () => {
      const result = metaSchema.safeParse(check.meta);
      expect(result.success ? [] : result.error.issues).toEqual([]);
    });

    it('requires only what it reads', () => {
      for (const kind of check.meta.requires) expect(check.meta.reads).toContain(kind);
      for (const group of check.meta.requiresAny ?? []) for (const kind of group) expect(check.meta.reads).toContain(kind);
    });

    it('requires no kind twice', () => {
      const kinds = [...check.meta.requires, ...(check.meta.requiresAny ?? []).flat()];
      expect(new Set(kinds).size).toBe(kinds.length);
    });

    it('shares its stem with its file, test and doc', () => {
      const area = path.join('src/checks', check.meta.category === 'resources' ? 'stability' : check.meta.category);
      const candidates = [area, 'src/checks/stability', 'src/checks/network'].map((folder) => path.join(REPO_ROOT, folder, `${id}.ts`));
      const source = candidates.find((candidate) => existsSync(candidate));
      expect(source, `src/checks/<area>/${id}.ts`).toBeDefined();
      const test = (source as string).replace(`${REPO_ROOT}/src/`, `${REPO_ROOT}/test/`).replace(/\.ts$/, '.test.ts');
      expect(existsSync(test), test).toBe(true);
      expect(checksDoc, 'docs/checks.md').toContain(`\`${id}\``);
    });
  });
});
