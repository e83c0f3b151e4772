import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAwsServers, type AwsServers } from '../collect/support/aws-server.js';
import { canonicalSources, documentsOf } from '../collect/support/compare.js';
import { useAwsEnvironment } from '../collect/support/env.js';
import { EXAMPLE_CLUSTER, exampleAwsDataset, exampleKubeResources } from '../collect/support/example.js';
import { startKubeServer, type KubeServer } from '../collect/support/kube-server.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE } from '../support/corpora.js';

// `rampart collect` and `rampart audit --live` against loopback servers that serve the example cluster
// (examples/sde-cluster) in the services' wire formats. The SDK finds the servers through the standard
// AWS_ENDPOINT_URL_* variables and the Kubernetes client through a kubeconfig, as for a real account.

interface Report {
  snapshot: { source: string };
  findings: unknown[];
  coverage: Array<{ type: string; kind?: string; file?: string; status: string; count?: number; details?: string[] }>;
}

let aws: AwsServers;
let kube: KubeServer;
let kubeconfig: string;
let work: string;

beforeAll(async () => {
  // One throttled call shows that the SDK's retries carry collection through; one denied kind shows in coverage.
  aws = await startAwsServers(exampleAwsDataset(), [{ service: 'elbv2', action: 'DescribeTargetHealth', kind: 'throttle', times: 1 }]);
  kube = await startKubeServer(exampleKubeResources(), { 'networksets.projectcalico.org': 'forbidden' });
  kubeconfig = await kube.writeKubeconfig();
  work = await mkdtemp(path.join(os.tmpdir(), 'rampart-collect-'));
});
useAwsEnvironment(() => aws);
afterAll(async () => {
  await aws.close();
  await kube.close();
  await rm(work, { recursive: true, force: true });
});

const liveArgs = () => ['--cluster', EXAMPLE_CLUSTER, '--region', 'eu-west-2', '--kubeconfig', kubeconfig];

describe('rampart collect', () => {
  let out: string;
  let collected: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    out = path.join(work, 'snapshot');
    collected = await runCli('collect', '--out', out, ...liveArgs());
  });

  it('writes the snapshot files', async () => {
    expect(collected.stderr).toContain('rampart: warning: not collected: kubernetes list networksets.projectcalico.org: forbidden: 403');
    expect(collected.code).toBe(0);
    const files = await listFiles(out);
    expect(files).toContain('aws/eu-west-2/ec2-describe-security-groups.json');
    expect(files).toContain('aws/eu-west-2/elbv2-describe-target-health.k8s-ingressn-ingressn-7d3a91c4e2.json');
    expect(files).toContain('kubernetes/workloads.json');
    expect(files).toContain('rampart-manifest.json');
  });

  it('audits like the files it was recorded from', async () => {
    const fromFiles = await auditJson(EXAMPLE);
    const fromCollection = await auditJson(out);
    const examples = await documentsOf(EXAMPLE);
    const collection = await documentsOf(out);

    // Every finding, with its evidence compared by the object and field it points at.
    expect(fromCollection.findings.length).toBeGreaterThan(0);
    expect(canonicalSources(fromCollection.findings, collection)).toEqual(canonicalSources(fromFiles.findings, examples));
    expect(JSON.stringify(canonicalSources(fromCollection.findings, collection))).not.toContain('unresolved');

    // Coverage differs only where collection records more than the files show, each case named here.
    // This server denies NetworkSets, and it lists no GlobalNetworkSets and no IngressClasses, which a
    // hand export cannot show. It lists a Tier for each tier of the example's policies, which the
    // example's export lacks.
    const resources = (report: Report) => Object.fromEntries(report.coverage.filter((entry) => entry.type === 'resource').map((entry) => [entry.kind, `${entry.status} ${entry.count}`]));
    const expected = { ...resources(fromFiles), CalicoNetworkSet: 'denied 0', CalicoGlobalNetworkSet: 'present 0', IngressClass: 'present 0', CalicoTier: 'present 2' };
    expect(resources(fromCollection)).toEqual(expected);
    const checks = (report: Report) => report.coverage.filter((entry) => entry.type === 'check');
    // With the Tier objects the collection needs no assumption about the order of tier allow-tigera.
    const tierAssumption = "assumption: the snapshot has no Calico Tier objects, so the order of tier allow-tigera is not known; it is evaluated in name order before the default tier, and what its policies select but do not decide is denied (defaultAction Deny, Calico's default)";
    const withoutTierAssumption = checks(fromFiles).map((entry) => ({ ...entry, details: entry.details?.filter((detail) => detail !== tierAssumption) }));
    expect(JSON.stringify(checks(fromFiles))).toContain(tierAssumption);
    expect(checks(fromCollection)).toEqual(withoutTierAssumption);
    // The example also contains a Secret (refused), an EKS add-on output and a README (ignored); collection writes none.
    expect(fromCollection.coverage.filter((entry) => entry.type === 'file')).toEqual([]);
  });

  it('shows the denied kind in coverage with its error', async () => {
    const report = await auditJson(out);
    const entry = report.coverage.find((item) => item.type === 'resource' && item.kind === 'CalicoNetworkSet');
    expect(entry?.status).toBe('denied');
    expect(entry?.details?.[0]).toMatch(/^list networksets\.projectcalico\.org: forbidden: 403 networksets\.projectcalico\.org is forbidden: User /);
    const terminal = await runCli('audit', out);
    expect(terminal.stdout).toContain('denied CalicoNetworkSet: list networksets.projectcalico.org: forbidden');
  });

  it('records time, account, scope and checksums in the manifest', async () => {
    const manifest = JSON.parse(await readFile(path.join(out, 'rampart-manifest.json'), 'utf8'));
    expect(manifest.rampartManifest).toBe(1);
    expect(manifest.rampartVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(Number.isNaN(Date.parse(manifest.collectedAt))).toBe(false);
    expect(manifest.aws).toMatchObject({ account: '111122223333', regions: ['eu-west-2'], cluster: EXAMPLE_CLUSTER, vpcs: { 'eu-west-2': 'vpc-0a7c3e91d24b6f580' } });
    expect(manifest.kubernetes).toMatchObject({ context: 'sde-prod', server: kube.url, calicoApiGroup: 'projectcalico.org/v3' });
    const files = (await listFiles(out)).filter((file) => file !== 'rampart-manifest.json');
    expect(manifest.files.map((entry: { file: string }) => entry.file)).toEqual(files);
    for (const entry of manifest.files as Array<{ file: string; sha256: string }>) {
      const digest = createHash('sha256').update(await readFile(path.join(out, entry.file))).digest('hex');
      expect(digest, entry.file).toBe(entry.sha256);
    }
  });

  it('retries the throttled call', () => {
    const health = aws.requests.filter((request) => request.action === 'DescribeTargetHealth');
    // Two target groups, and the first request for one of them got a Throttling error.
    expect(health).toHaveLength(3);
  });

  it('writes no credentials and requests no Secrets', async () => {
    for (const file of await listFiles(out)) {
      const text = await readFile(path.join(out, file), 'utf8');
      expect(text, file).not.toContain('EXAMPLE-NOT-A-REAL-PASSWORD');
      expect(text, file).not.toContain('last-applied-configuration');
      expect(text, file).not.toContain('managedFields');
    }
    expect(kube.requests.map((request) => request.path).filter((requested) => /secrets|configmaps/.test(requested))).toEqual([]);
    expect(kube.requests.every((request) => request.method === 'GET')).toBe(true);
  });

  it('refuses a folder that is not empty, before any API call', async () => {
    await writeFile(path.join(work, 'placeholder'), '');
    const before = aws.requests.length + kube.requests.length;
    const result = await runCli('collect', '--out', work, ...liveArgs());
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`rampart: error: ${work} is not empty: pass a new or empty folder, so the snapshot holds only this collection\n`);
    expect(aws.requests.length + kube.requests.length).toBe(before);
  });
});

describe('rampart collect without --region', () => {
  it('takes the region from AWS_REGION', async () => {
    const out = path.join(work, 'aws-only');
    const result = await runCli('collect', '--out', out, '--no-kubernetes', '--cluster', EXAMPLE_CLUSTER);
    expect(result.code, result.stderr).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(out, 'rampart-manifest.json'), 'utf8'));
    expect(manifest.aws.regions).toEqual(['eu-west-2']);
    expect(manifest.kubernetes).toBeNull();
    expect((await listFiles(out)).some((file) => file.startsWith('kubernetes/'))).toBe(false);
  });
});

describe('rampart audit --live', () => {
  it('gives the report of collect followed by audit', async () => {
    const out = path.join(work, 'for-live');
    expect((await runCli('collect', '--out', out, '-q', ...liveArgs())).code).toBe(0);
    const fromFolder = await auditJson(out);
    const live = await runCli('audit', '--live', '-o', 'json', ...liveArgs());
    expect(live.code).toBe(0);
    const fromLive = JSON.parse(live.stdout) as Report;
    expect(fromLive.snapshot.source).toBe('live');
    expect({ ...fromLive, snapshot: { ...fromLive.snapshot, source: out } }).toEqual(fromFolder);
  });

  it('rejects a folder together with --live', async () => {
    const result = await runCli('audit', EXAMPLE, '--live');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`rampart: error: pass either a snapshot folder or --live, not both (got ${EXAMPLE})\n`);
  });

  it('asks for a folder without --live', async () => {
    const result = await runCli('audit');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: missing snapshot folder: pass the folder to audit, or --live to collect from the APIs\n');
  });
});

describe('unreachable APIs', () => {
  it('stops at once when AWS refuses connections', async () => {
    const closed = await closedPort();
    const saved = process.env.AWS_ENDPOINT_URL_STS;
    process.env.AWS_ENDPOINT_URL_STS = `http://127.0.0.1:${closed}`;
    const started = Date.now();
    try {
      const result = await runCli('collect', '--out', path.join(work, 'never'), '--no-kubernetes', '--region', 'eu-west-2');
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^rampart: error: AWS cannot be used in eu-west-2: .*ECONNREFUSED.*\n$/);
      expect(result.stderr.split('\n')).toHaveLength(2);
    } finally {
      process.env.AWS_ENDPOINT_URL_STS = saved;
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops at once when the API server refuses connections', async () => {
    const closed = await closedPort();
    const config = (await readFile(kubeconfig, 'utf8')).replace(kube.url, `http://127.0.0.1:${closed}`);
    const file = path.join(work, 'closed-kubeconfig');
    await writeFile(file, config);
    const started = Date.now();
    const result = await runCli('audit', '--live', '--no-aws', '--kubeconfig', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^rampart: error: Kubernetes API http://127\\.0\\.0\\.1:${closed} \\(context sde-prod\\) cannot be used: .*ECONNREFUSED.*\\n$`));
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('stops when the API server rejects the token', async () => {
    const config = (await readFile(kubeconfig, 'utf8')).replace(/token: .*/, 'token: expired-token');
    const file = path.join(work, 'expired-kubeconfig');
    await writeFile(file, config);
    const result = await runCli('collect', '--out', path.join(work, 'never2'), '--no-aws', '--kubeconfig', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('cannot be used: 401 Unauthorized');
  });

  it('names the contexts when --context is unknown', async () => {
    const result = await runCli('collect', '--out', path.join(work, 'never3'), '--no-aws', '--kubeconfig', kubeconfig, '--context', 'prod');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: context prod is not in the kubeconfig; its contexts are: sde-prod\n');
  });
});

async function auditJson(root: string): Promise<Report> {
  const result = await runCli('audit', root, '-o', 'json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Report;
}

async function listFiles(root: string, relative = ''): Promise<string[]> {
  const entries = await readdir(path.join(root, relative), { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(root, child)));
    else files.push(child);
  }
  return files.sort((a, b) => a.localeCompare(b));
}

/** Returns a loopback port with nothing listening: bound, noted and released again. */
async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
