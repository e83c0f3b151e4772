import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/registry.js';
import { runCli } from '../support/cli.js';
import { REPO_ROOT } from '../support/corpora.js';
import { crashLoopPod } from '../support/pods.js';
import { writeSnapshot } from '../support/tmp.js';

const run = promisify(execFile);

describe('rampart CLI', () => {
  it('prints the version', async () => {
    const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const result = await runCli('--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });

  it('prints audit help with exit codes', async () => {
    const result = await runCli('audit', '--help');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--fail-on <severity>');
    expect(result.stdout).toContain('Exit codes:');
  });

  it('exits 2 on an unknown option', async () => {
    const result = await runCli('audit', 'x', '--no-such-option');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--no-such-option'");
  });

  it('exits 2 on a bad format', async () => {
    const result = await runCli('audit', 'x', '-o', 'pdf');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Allowed choices are terminal, markdown, json');
  });

  it('exits 2 without stack trace for a missing folder', async () => {
    const result = await runCli('audit', '/nonexistent/snapshot');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: snapshot folder /nonexistent/snapshot cannot be read: not found\n');
  });

  it('exits 2 for an empty folder', async () => {
    const root = await writeSnapshot({});
    const result = await runCli('audit', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nothing to audit');
  });

  it('exits 2 when every file is invalid', async () => {
    const root = await writeSnapshot({ 'a.json': '{"Vpcs": [', 'b.yaml': 'kind: [' });
    const result = await runCli('audit', root);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('rampart: skipped: a.json: is not valid JSON');
    expect(result.stderr).toContain('nothing to audit');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('audits the rest when one file is invalid', async () => {
    const root = await writeSnapshot({ 'broken.json': '{"Vpcs": [', 'pods.json': crashLoopPod });
    const result = await runCli('audit', root, '-o', 'json');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('broken.json: is not valid JSON');
    const report = JSON.parse(result.stdout) as { summary: { inputErrors: number }; coverage: Array<{ type: string; file?: string; status: string }> };
    expect(report.summary.inputErrors).toBe(1);
    expect(report.coverage).toContainEqual(expect.objectContaining({ type: 'file', file: 'broken.json', status: 'invalid' }));
  });

  it('exits 2 under --strict when a file is invalid', async () => {
    const root = await writeSnapshot({ 'broken.json': '{"Vpcs": [', 'pods.json': crashLoopPod });
    const result = await runCli('audit', root, '--strict', '-o', 'json');
    expect(result.code).toBe(2);
  });

  it('gates on --fail-on', async () => {
    const root = await writeSnapshot({ 'pods.json': crashLoopPod });
    const json = JSON.parse((await runCli('audit', root, '-o', 'json')).stdout) as { findings: Array<{ severity: string }> };
    expect(json.findings.length).toBeGreaterThan(0);
    const severity = json.findings[0]?.severity as string;
    const failing = await runCli('audit', root, '--fail-on', severity);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toMatch(new RegExp(`^rampart: \\d+ finding\\(s\\) at or above ${severity}: exit code 1\\n$`));
    expect((await runCli('audit', root, '--fail-on', 'critical')).code).toBe(severity === 'critical' ? 1 : 0);
    expect((await runCli('audit', root)).code).toBe(0);
  });

  it('writes --output to a file', async () => {
    const root = await writeSnapshot({ 'pods.json': crashLoopPod });
    const target = path.join(root, 'report.md');
    const result = await runCli('audit', root, '-o', 'markdown', '--output', target);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(readFileSync(target, 'utf8')).toMatch(/^# Rampart audit of /);
  });

  it('reports skipped checks when input is missing', async () => {
    const root = await writeSnapshot({ 'sg.json': { SecurityGroups: [] } });
    const result = await runCli('audit', root, '-o', 'json');
    const report = JSON.parse(result.stdout) as { findings: unknown[]; coverage: Array<{ type: string; status: string; kind?: string; checkId?: string; details?: string[] }> };
    expect(report.findings).toEqual([]);
    // Checks that need Pods (or one of the kinds that stand in for them) are skipped with the reason.
    // Checks on security groups ran on an empty list.
    const needsPods = (check: (typeof CHECKS)[number]) => check.meta.requires.includes('Pod') || (check.meta.requiresAny ?? []).some((group) => group.includes('Pod'));
    const podChecks = CHECKS.filter(needsPods).map((check) => check.meta.id);
    expect(podChecks.length).toBeGreaterThan(0);
    for (const checkId of podChecks) {
      const entry = report.coverage.find((candidate) => candidate.type === 'check' && candidate.checkId === checkId);
      expect(entry?.status, checkId).toBe('skipped');
      expect(entry?.details?.join(' '), checkId).toContain('Pod');
    }
    expect(report.coverage).toContainEqual({ type: 'resource', kind: 'Pod', status: 'missing', count: 0 });
    expect(report.coverage).toContainEqual({ type: 'resource', kind: 'SecurityGroup', status: 'present', count: 0 });
  });

  it('rejects an invalid config file', async () => {
    const root = await writeSnapshot({ 'pods.json': crashLoopPod, 'rampart.yaml': 'stability:\n  minRestarts: many\n' });
    const result = await runCli('audit', root, '--config', path.join(root, 'rampart.yaml'));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/rampart: error: config file .*rampart\.yaml \$\.stability\.minRestarts: /);
  });
});

describe('bin/rampart.js', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(REPO_ROOT, 'dist/cli/main.js'))) await run('npm', ['run', 'build'], { cwd: REPO_ROOT });
  }, 120_000);

  it('runs as a real process', async () => {
    const { stdout } = await run(process.execPath, [path.join(REPO_ROOT, 'bin/rampart.js'), '--help'], { cwd: REPO_ROOT });
    expect(stdout).toContain('Usage: rampart');
    expect(stdout).toContain('audit');
  });

  it('ends quietly when the reader closes the pipe', async () => {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin/rampart.js'), 'audit', path.join(REPO_ROOT, 'examples/sde-cluster'), '-o', 'json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Read one chunk, then close the pipe as `head -c 100` does.
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toContain('EPIPE');
    expect(code).toBe(0);
  });

  // Node sorts with localeCompare by the process locale: Danish puts "aa" after "z", English ignores case.
  it('writes the same report whatever the locale of the process', async () => {
    const root = await writeSnapshot({ 'README.md': 'notes', 'aa-notes.txt': 'notes', 'pods.json': crashLoopPod, 'zz-notes.txt': 'notes', 'kubernetes/Zones.txt': 'notes' });
    const outputs = await Promise.all(
      ['C.UTF-8', 'en_US.UTF-8', 'da_DK.UTF-8'].map(async (locale) => {
        const result = await run(process.execPath, [path.join(REPO_ROOT, 'bin/rampart.js'), 'audit', root, '-o', 'json', '--snapshot-time', '2026-12-01T00:00:00Z'], {
          cwd: REPO_ROOT,
          env: { ...process.env, LANG: locale, LC_ALL: locale },
        }).catch((error: { stdout: string }) => error);
        return result.stdout;
      }),
    );
    const coverage = (JSON.parse(outputs[0] as string) as { coverage: Array<{ type: string; file?: string }> }).coverage;
    expect(coverage.filter((entry) => entry.type === 'file').map((entry) => entry.file)).toEqual(['README.md', 'aa-notes.txt', 'kubernetes/Zones.txt', 'zz-notes.txt']);
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[2]).toBe(outputs[0]);
  });

  it('exits 2 as a real process on bad input', async () => {
    const failure = await run(process.execPath, [path.join(REPO_ROOT, 'bin/rampart.js'), 'audit', '/nonexistent/snapshot']).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toBe('rampart: error: snapshot folder /nonexistent/snapshot cannot be read: not found\n');
  });
});
