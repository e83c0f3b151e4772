import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { writeSnapshot } from '../support/tmp.js';

// `rampart reach` queries as a user types them: IP addresses of pods and Services, Service ports and their
// target ports, invalid input, and the notes printed with a result. The snapshot is kubectl JSON output.

const list = (items: object[]) => ({ apiVersion: 'v1', kind: 'List', items });

const namespaces = list(
  [['shop', 'shop'], ['frontend', 'web'], ['monitoring', 'monitoring'], ['kube-system', 'system']].map(([name, team]) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name, team } },
  })),
);

interface PodSpec {
  labels: Record<string, string>;
  ports?: Array<{ name: string; containerPort: number }>;
  ips: string[];
  hostNetwork?: boolean;
  phase?: string;
}

function pod(namespace: string, name: string, spec: PodSpec): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: spec.labels },
    spec: {
      containers: [{ name: 'app', image: 'registry.example.com/app:1.0', ports: (spec.ports ?? []).map((port) => ({ ...port, protocol: 'TCP' })) }],
      nodeName: 'ip-10-0-1-200.eu-west-2.compute.internal',
      ...(spec.hostNetwork ? { hostNetwork: true } : {}),
    },
    status: { phase: spec.phase ?? 'Running', hostIP: '10.0.1.200', podIP: spec.ips[0], podIPs: spec.ips.map((ip) => ({ ip })) },
  };
}

function service(name: string, selector: Record<string, string>, port: number, targetPort: number | string, clusterIPs: string[]): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop' },
    spec: { type: 'ClusterIP', selector, ports: [{ name: 'main', port, targetPort, protocol: 'TCP' }], clusterIP: clusterIPs[0], clusterIPs },
  };
}

function networkPolicy(name: string, spec: object): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'shop' }, spec };
}

const pods = list([
  pod('shop', 'db-0', { labels: { app: 'db', role: 'primary' }, ports: [{ name: 'pg', containerPort: 5432 }, { name: 'metrics', containerPort: 9187 }], ips: ['10.0.1.20', 'fd00::20'] }),
  pod('shop', 'db-1', { labels: { app: 'db', role: 'replica' }, ports: [{ name: 'pg', containerPort: 5433 }], ips: ['10.0.1.23'] }),
  pod('shop', 'api-1', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080 }], ips: ['10.0.1.21'] }),
  // A finished Job pod keeps its old address in its status; the address now belongs to api-1.
  pod('shop', 'migrate-1', { labels: { job: 'migrate' }, ips: ['10.0.1.21'], phase: 'Succeeded' }),
  pod('frontend', 'web-1', { labels: { app: 'web' }, ips: ['10.0.1.30'] }),
  pod('monitoring', 'prom-0', { labels: { app: 'prometheus' }, ips: ['10.0.1.40'] }),
  // Host-network pods report their node's address, so both have 10.0.1.200.
  pod('kube-system', 'kube-proxy-a', { labels: { 'k8s-app': 'kube-proxy' }, ips: ['10.0.1.200'], hostNetwork: true }),
  pod('kube-system', 'aws-node-a', { labels: { 'k8s-app': 'aws-node' }, ips: ['10.0.1.200'], hostNetwork: true }),
]);

const services = list([
  service('postgres', { app: 'db' }, 5432, 'pg', ['172.20.0.50', 'fd00:20::50']),
  service('db-metrics', { app: 'db' }, 9187, 'metrics', ['172.20.0.52']),
  service('db-nothing', { app: 'db' }, 9999, 'nope', ['172.20.0.53']),
  service('api', { app: 'api' }, 80, 8080, ['172.20.0.51']),
]);

const policies = list([
  networkPolicy('default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
  networkPolicy('allow-api-to-db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'pg' }] }] }),
  networkPolicy('allow-web-to-primary', {
    podSelector: { matchLabels: { role: 'primary' } },
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'web' } } }], ports: [{ port: 'pg' }] }],
  }),
  networkPolicy('allow-monitoring', {
    podSelector: {},
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'monitoring' } }, podSelector: { matchLabels: { app: 'prometheus' } } }], ports: [{ port: 'metrics' }] }],
  }),
  networkPolicy('allow-office-to-api', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 8080 }] }] }),
]);

async function snapshot(extra: Record<string, string | object> = {}): Promise<string> {
  return writeSnapshot({ 'kubernetes/namespaces.json': namespaces, 'kubernetes/pods.json': pods, 'kubernetes/services.json': services, 'kubernetes/policies.json': policies, ...extra });
}

interface Verdict {
  allowed: boolean;
  result: string;
  source: string;
  destination: string;
  port: number;
  ingress: { decidedBy: string };
  addresses?: Array<{ option: string; address: string; resolvedTo: string; name?: string }>;
  notModelled: string[];
  assumptions: string[];
  skippedInputs: Array<{ file: string; path?: string; message: string }>;
}

describe('reach with IP addresses', () => {
  it('resolves a source pod address to the pod', async () => {
    const root = await snapshot();
    const byAddress = await runCli('reach', root, '--from', '10.0.1.40', '--to', 'shop/db-0', '--port', '9187');
    const byName = await runCli('reach', root, '--from', 'monitoring/prom-0', '--to', 'shop/db-0', '--port', '9187');
    expect(byAddress.code).toBe(0);
    expect(byName.code).toBe(0);
    const lines = byAddress.stdout.split('\n');
    expect(lines[0]).toBe('10.0.1.40 is pod monitoring/prom-0.');
    expect(lines[1]).toBe('monitoring/prom-0 → shop/db-0 on TCP 9187: allowed.');
    expect(byAddress.stdout).not.toContain('outside the pods');
  });

  it('resolves a destination pod address to the pod', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'frontend/web-1', '--to', '10.0.1.23', '--port', '5433', '-o', 'json');
    const body = JSON.parse(result.stdout) as Verdict;
    // NetworkPolicy applies to the pod whatever name the query gives it: db-1 admits no frontend pod.
    expect(result.code).toBe(1);
    expect(body.destination).toBe('shop/db-1');
    expect(body.ingress.decidedBy).toBe('end-of-tier');
    expect(body.addresses).toEqual([{ option: '--to', address: '10.0.1.23', resolvedTo: 'pod', name: 'shop/db-1', sentence: '10.0.1.23 is pod shop/db-1.' }]);
  });

  it('resolves every address in podIPs', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'monitoring/prom-0', '--to', 'fd00::20', '--port', '9187', '-o', 'json');
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as Verdict).destination).toBe('shop/db-0');
  });

  it('prefers a running pod over a finished one', async () => {
    const result = await runCli('reach', await snapshot(), '--from', '10.0.1.21', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('10.0.1.21 is pod shop/api-1.');
  });

  it('rejects an address several pods share', async () => {
    const result = await runCli('reach', await snapshot(), '--from', '10.0.1.200', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('--from 10.0.1.200 is the address of 2 pods (kube-system/aws-node-a, kube-system/kube-proxy-a)');
    expect(result.stderr).toContain('name one, such as --from kube-system/aws-node-a');
  });

  it('says when an address belongs to nothing', async () => {
    const result = await runCli('reach', await snapshot(), '--from', '203.0.113.7', '--to', 'shop/api-1', '--port', '8080');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('203.0.113.7 is not the address of a pod or the cluster IP of a Service in the snapshot, so it is evaluated as an address outside the pods.');
    expect(result.stdout).toContain('Egress: the source is outside the pods');
  });

  it('resolves a cluster IP to the Service', async () => {
    const root = await snapshot();
    const byAddress = await runCli('reach', root, '--from', 'frontend/web-1', '--to', '172.20.0.50', '--port', '5432', '-o', 'json');
    const byName = await runCli('reach', root, '--from', 'frontend/web-1', '--to', 'shop/service/postgres', '--port', '5432', '-o', 'json');
    const body = JSON.parse(byAddress.stdout) as Verdict & { backends: Verdict[] };
    expect(byAddress.code).toBe(3);
    expect(body.result).toBe('partly-allowed');
    expect(body.addresses?.[0]).toMatchObject({ option: '--to', address: '172.20.0.50', resolvedTo: 'service', name: 'shop/postgres' });
    expect(body.backends.map((backend) => backend.allowed)).toEqual((JSON.parse(byName.stdout) as { backends: Verdict[] }).backends.map((backend) => backend.allowed));
    const second = await runCli('reach', root, '--from', 'frontend/web-1', '--to', 'fd00:20::50', '--port', '5432', '-o', 'json');
    expect((JSON.parse(second.stdout) as { destination: string }).destination).toBe('shop/service/postgres');
  });

  it('rejects a cluster IP as the source', async () => {
    const result = await runCli('reach', await snapshot(), '--from', '172.20.0.50', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--from 172.20.0.50 is the cluster IP of Service shop/postgres');
  });

  it('rejects an address range and accepts a host prefix', async () => {
    const root = await snapshot();
    const range = await runCli('reach', root, '--from', '10.0.0.0/8', '--to', 'shop/db-0', '--port', '5432');
    expect(range.code).toBe(2);
    expect(range.stderr).toBe(
      'rampart: error: --from 10.0.0.0/8 is an address range (10.0.0.0-10.255.255.255), but --from takes a pod, a workload or one IP address, such as 10.0.0.0. To list the connections of address ranges, use --matrix\n',
    );
    const host = await runCli('reach', root, '--from', '10.0.1.40/32', '--to', 'shop/db-0', '--port', '9187');
    expect(host.code).toBe(0);
    expect(host.stdout.split('\n')[0]).toBe('10.0.1.40 is pod monitoring/prom-0.');
  });
});

describe('reach to a Service', () => {
  it('states the port mapping and a partial answer', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'frontend/web-1', '--to', 'shop/service/postgres', '--port', '5432');
    const lines = result.stdout.split('\n');
    // db-0 admits the web team's namespace on pg; db-1 admits only the api pods.
    expect(result.code).toBe(3);
    expect(lines[0]).toBe('frontend/web-1 → shop/service/postgres port 5432/TCP: partly allowed (1 of 2 backend pods).');
    expect(lines[1]).toBe('Service shop/postgres (cluster IP 172.20.0.50, fd00:20::50) port 5432/TCP has targetPort pg, so it sends the connection to TCP 5432 on shop/db-0, TCP 5433 on shop/db-1.');
    expect(result.stdout).toContain('frontend/web-1 → shop/db-0 on TCP 5432: allowed.');
    expect(result.stdout).toContain('frontend/web-1 → shop/db-1 on TCP 5433: denied.');
  });

  it('exits 0 when every backend allows and 1 when none does', async () => {
    const root = await snapshot();
    const allowed = await runCli('reach', root, '--from', 'shop/api-1', '--to', 'shop/service/postgres', '--port', '5432');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout.split('\n')[0]).toBe('shop/api-1 → shop/service/postgres port 5432/TCP: allowed (2 of 2 backend pods).');
    const denied = await runCli('reach', root, '--from', 'monitoring/prom-0', '--to', 'shop/service/postgres', '--port', '5432');
    expect(denied.code).toBe(1);
    expect(denied.stdout.split('\n')[0]).toBe('monitoring/prom-0 → shop/service/postgres port 5432/TCP: denied (0 of 2 backend pods).');
  });

  it('prints the documented JSON shape', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'frontend/web-1', '--to', 'shop/service/postgres', '--port', '5432', '-o', 'json');
    const body = JSON.parse(result.stdout) as Record<string, unknown> & { backends: Verdict[]; service: object };
    expect(Object.keys(body)).toEqual([
      'allowed',
      'result',
      'allowedBackends',
      'backendCount',
      'source',
      'destination',
      'protocol',
      'port',
      'service',
      'backends',
      'podsWithoutTargetPort',
      'assumptions',
      'notModelled',
      'skippedInputs',
      'explanation',
    ]);
    expect(body).toMatchObject({ allowed: false, result: 'partly-allowed', allowedBackends: 1, backendCount: 2, source: 'frontend/web-1', destination: 'shop/service/postgres', protocol: 'TCP', port: 5432 });
    expect(body.service).toEqual({ namespace: 'shop', name: 'postgres', port: 5432, protocol: 'TCP', targetPort: 'pg', clusterIPs: ['172.20.0.50', 'fd00:20::50'] });
    expect(body.backends.map((backend) => [backend.destination, backend.port, backend.allowed])).toEqual([
      ['shop/db-0', 5432, true],
      ['shop/db-1', 5433, false],
    ]);
  });

  it('lists pods without the named target port', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'monitoring/prom-0', '--to', 'shop/service/db-metrics', '--port', '9187', '-o', 'json');
    const body = JSON.parse(result.stdout) as { backendCount: number; podsWithoutTargetPort: object[] };
    expect(result.code).toBe(0);
    expect(body.backendCount).toBe(1);
    expect(body.podsWithoutTargetPort).toEqual([{ pod: 'shop/db-1', reason: 'it has no container port named metrics for TCP' }]);
  });

  it('rejects a port that reaches no pod', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'monitoring/prom-0', '--to', 'shop/service/db-nothing', '--port', '9999');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('targets port nope, which none of its pods (shop/db-0, shop/db-1) declares, so it has no endpoints');
  });
});

describe('reach with invalid input', () => {
  // This policy would admit the frontend to db-1, but its YAML is broken, so the load skips the file.
  const broken = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: allow-web-to-db\n  namespace: shop\nspec:\n  podSelector: {}\n  ingress:\n  - from:\n    - namespaceSelector: {}\n   ports: [5433\n';

  it('lists skipped files in the verdict', async () => {
    const root = await snapshot({ 'kubernetes/extra.yaml': broken });
    const text = await runCli('reach', root, '--from', 'frontend/web-1', '--to', 'shop/db-1', '--port', '5433');
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/\nSkipped as invalid, so not part of this answer: kubernetes\/extra\.yaml: is not valid YAML/);
    const json = await runCli('reach', root, '--from', 'frontend/web-1', '--to', 'shop/db-1', '--port', '5433', '-o', 'json');
    const body = JSON.parse(json.stdout) as Verdict;
    expect(body.skippedInputs).toHaveLength(1);
    expect(body.skippedInputs[0]?.file).toBe('kubernetes/extra.yaml');
    expect(body.skippedInputs[0]?.message).toMatch(/^is not valid YAML/);
  });

  it('lists no skipped input for a valid snapshot', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'frontend/web-1', '--to', 'shop/db-1', '--port', '5433', '-o', 'json');
    expect((JSON.parse(result.stdout) as Verdict).skippedInputs).toEqual([]);
    expect(result.stderr).toBe('');
  });

  it('exits 2 under --strict after answering', async () => {
    const root = await snapshot({ 'kubernetes/extra.yaml': broken });
    const query = await runCli('reach', root, '--from', 'frontend/web-1', '--to', 'shop/db-1', '--port', '5433', '--strict');
    expect(query.code).toBe(2);
    expect(query.stdout).toContain('frontend/web-1 → shop/db-1 on TCP 5433: denied.');
    expect(query.stderr).toContain('rampart: --strict: 1 invalid input was skipped (listed above): exit code 2');
    const matrix = await runCli('reach', root, '--matrix', '-o', 'json', '--strict');
    expect(matrix.code).toBe(2);
    expect((JSON.parse(matrix.stdout) as Verdict).skippedInputs.map((input) => input.file)).toEqual(['kubernetes/extra.yaml']);
    const valid = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/db-1', '--port', '5433', '--strict');
    expect(valid.code).toBe(0);
  });

  it('skips a policy the API would reject and names its path', async () => {
    const invalid = networkPolicy('allow-all-typo', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['db'] }] }, ingress: [{}] });
    const result = await runCli('reach', await snapshot({ 'kubernetes/extra.json': invalid }), '--from', 'frontend/web-1', '--to', 'shop/db-1', '--port', '5433', '-o', 'json');
    const body = JSON.parse(result.stdout) as Verdict;
    expect(result.code).toBe(1);
    expect(body.skippedInputs).toEqual([
      {
        file: 'kubernetes/extra.json',
        path: '$.spec.podSelector.matchExpressions[0].operator',
        message: 'operator "Equals" is not a label selector operator: expected In, NotIn, Exists or DoesNotExist (in a Kubernetes NetworkPolicy; the object is skipped)',
      },
    ]);
  });

  it('says in its own words that nothing is usable', async () => {
    const root = await writeSnapshot({ 'kubernetes/pods.json': '{"apiVersion": "v1", "kind": "List", "items": [' });
    const result = await runCli('reach', root, '--from', 'a/b', '--to', 'c/d', '--port', '80');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`rampart: error: cannot answer reachability questions from ${root}: every file was invalid`);
    expect(result.stderr).not.toContain('audit');
  });
});

describe('reach option checks', () => {
  const query = ['--from', 'shop/api-1', '--to', 'shop/db-0'];

  it('rejects a port without a port protocol', async () => {
    const result = await runCli('reach', await snapshot(), ...query, '--port', '80/ICMP');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: --port 80/ICMP: ICMP has no ports; use TCP, UDP, SCTP or UDPLite\n');
  });

  it('says a port is out of range', async () => {
    const root = await snapshot();
    for (const port of ['0', '65536', '70000/UDP']) {
      const result = await runCli('reach', root, ...query, '--port', port);
      expect(result.code, port).toBe(2);
      expect(result.stderr, port).toContain(`--port ${port}: port ${port.split('/')[0]} is out of range 1-65535`);
    }
    const edge = await runCli('reach', root, ...query, '--port', '65535');
    expect(edge.code).toBe(1);
  });

  it('rejects an Istio root namespace that is no namespace name', async () => {
    const root = await snapshot();
    for (const name of ['', 'Bad_NS', '-x', 'a'.repeat(64)]) {
      const result = await runCli('reach', root, ...query, '--port', '5432', '--istio-root-namespace', name);
      expect(result.code, name).toBe(2);
      expect(result.stderr, name).toContain(`--istio-root-namespace ${JSON.stringify(name)} is not a namespace name`);
    }
    const custom = await runCli('reach', root, ...query, '--port', '5432', '--istio-root-namespace', 'mesh-root');
    expect(custom.code).toBe(0);
  });
});

describe('reach notes', () => {
  // A Deployment without pods is synthesised from its template, which the model reports as not modelled.
  const worker = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'worker', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'worker' } }, template: { metadata: { labels: { app: 'worker' } }, spec: { containers: [{ name: 'worker', image: 'registry.example.com/worker:1' }] } } } };
  const synthesised = '1 workload has no Pods in the snapshot; one Pod per workload was synthesised from its pod template';

  it('puts snapshot notices in a query verdict', async () => {
    const result = await runCli('reach', await snapshot({ 'kubernetes/worker.json': worker }), '--from', 'shop/api-1', '--to', 'shop/db-0', '--port', '5432', '-o', 'json');
    expect((JSON.parse(result.stdout) as Verdict).notModelled).toContain(synthesised);
  });

  it('prints matrix notes on stderr for txt and csv', async () => {
    const root = await snapshot({ 'kubernetes/worker.json': worker });
    for (const format of ['txt', 'csv']) {
      const result = await runCli('reach', root, '--matrix', '-o', format);
      expect(result.code, format).toBe(0);
      expect(result.stdout, format).not.toContain('rampart:');
      expect(result.stderr, format).toContain('rampart: assumption: ipBlocks and nets are assumed to match pod IP addresses because the CNI is aws-vpc-cni (pod aws-node-a)\n');
      expect(result.stderr, format).toContain(`rampart: not modelled: ${synthesised}\n`);
    }
  });

  it('adds matrix notes to the Markdown', async () => {
    const result = await runCli('reach', await snapshot({ 'kubernetes/worker.json': worker }), '--matrix', '-o', 'markdown');
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('\n\n## Assumptions\n\n- ipBlocks and nets are assumed to match pod IP addresses because the CNI is aws-vpc-cni (pod aws-node-a)\n');
    expect(result.stdout).toContain(`\n\n## Not modelled\n\n- ${synthesised}\n`);
    expect(result.stdout).not.toContain('## Skipped as invalid');
  });

  it('states the ipBlock assumption only where rules name addresses', async () => {
    const withoutBlocks = list((policies.items as Array<{ metadata: { name: string } }>).filter((policy) => policy.metadata.name !== 'allow-office-to-api'));
    const root = await snapshot({ 'kubernetes/policies.json': withoutBlocks });
    const result = await runCli('reach', root, '--from', 'shop/api-1', '--to', 'shop/db-0', '--port', '5432', '-o', 'json');
    expect((JSON.parse(result.stdout) as Verdict).assumptions).toEqual([]);
    expect(result.stdout).not.toContain('ipBlocks and nets');
  });
});
