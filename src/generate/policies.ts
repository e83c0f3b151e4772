import { apportion, SNAPSHOT_TIME, type NamespacePlan, type WorkloadPlan } from './plan.js';
import { TEAMS } from './names.js';
import { kubeTime, resourceVersion } from './pods.js';
import type { Random } from './random.js';

// NetworkPolicies and Calico GlobalNetworkPolicies in the patterns real clusters use: a default deny per
// namespace, allows from each client to its datastore on the datastore's named port, ingress-controller and
// Prometheus allows through namespace selectors, team-wide allows, some datastores open to any source, and
// cross-namespace allows on port ranges. Each namespace takes its policies from that list in order until its
// share of `--policies` is used up, so a smaller share keeps the deny and the most basic allows.

const DAY = 86_400_000;

/** Builds the NetworkPolicies of every application namespace, keyed by namespace name, `total` in all. */
export function buildNetworkPolicies(namespaces: NamespacePlan[], total: number, exposed: Set<WorkloadPlan>, random: Random): Map<string, Array<Record<string, unknown>>> {
  const applications = namespaces.filter((namespace) => !namespace.system);
  const quotas = apportion(total, applications.map((namespace) => namespace.workloads.length + 2));
  const result = new Map<string, Array<Record<string, unknown>>>();
  applications.forEach((namespace, index) => {
    const quota = quotas[index] as number;
    const policies: Array<Record<string, unknown>> = [];
    const seen = new Set<string>();
    const candidates = namespaceCandidates(namespace, applications, exposed, random);
    while (policies.length < quota) {
      const next = candidates.next();
      if (next.done) throw new Error(`ran out of policy patterns for namespace ${namespace.name}`);
      const [name, spec] = next.value;
      if (seen.has(name)) continue;
      seen.add(name);
      policies.push(networkPolicy(namespace, name, spec, random));
    }
    result.set(namespace.name, policies);
  });
  return result;
}

type Candidate = [name: string, spec: Record<string, unknown>];

function* namespaceCandidates(namespace: NamespacePlan, applications: NamespacePlan[], exposed: Set<WorkloadPlan>, random: Random): Generator<Candidate> {
  const workloads = namespace.workloads;
  const nameLabel = (name: string) => ({ matchLabels: { 'kubernetes.io/metadata.name': name } });
  const ingressOnly = (podSelector: unknown, ingress: unknown[]) => ({ ingress, podSelector, policyTypes: ['Ingress'] });
  const clientsOf = (target: WorkloadPlan) => workloads.filter((client) => client.dependencies.includes(target.name));

  yield ['default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }];
  yield [
    'allow-prometheus-scrape',
    ingressOnly({}, [{ from: [{ namespaceSelector: nameLabel('monitoring'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }], ports: [{ port: 'metrics', protocol: 'TCP' }] }]),
  ];

  for (const store of workloads.filter((workload) => workload.kind === 'StatefulSet')) {
    const port = store.ports[0] as { name: string; containerPort: number };
    // A datastore open to every source on its port: the mistake the audit looks for.
    if (random.chance(0.15)) yield [`${store.name}-allow-any`, ingressOnly({ matchLabels: store.selector }, [{ ports: [{ port: port.containerPort, protocol: 'TCP' }] }])];
    for (const client of clientsOf(store)) {
      yield [`allow-${client.name}-to-${store.role}`, ingressOnly({ matchLabels: store.selector }, [{ from: [{ podSelector: { matchLabels: client.selector } }], ports: [{ port: port.name, protocol: 'TCP' }] }])];
    }
  }

  for (const web of workloads.filter((workload) => workload.role === 'web')) {
    yield [
      `allow-ingress-nginx-to-${web.name}`,
      ingressOnly({ matchLabels: web.selector }, [{ from: [{ namespaceSelector: nameLabel('ingress-nginx'), podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }], ports: [{ port: 'http', protocol: 'TCP' }] }]),
    ];
  }
  for (const api of workloads.filter((workload) => workload.role === 'api')) {
    const ports = api.ports.filter((port) => port.name === 'http' || port.name === 'grpc').map((port) => ({ port: port.name, protocol: 'TCP' }));
    for (const caller of clientsOf(api)) {
      yield [`allow-${caller.name}-to-${api.name}`, ingressOnly({ matchLabels: api.selector }, [{ from: [{ podSelector: { matchLabels: caller.selector } }], ports }])];
    }
  }
  for (const workload of workloads.filter((candidate) => exposed.has(candidate))) {
    // Network Load Balancers with IP targets keep the client address, so the pods must admit the internet.
    yield [`allow-nlb-to-${workload.name}`, ingressOnly({ matchLabels: workload.selector }, [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 'http', protocol: 'TCP' }] }])];
  }

  if (random.chance(0.3)) {
    yield [
      'default-egress',
      {
        egress: [
          { ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }], to: [{ namespaceSelector: nameLabel('kube-system'), podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] },
          { to: [{ podSelector: {} }] },
          { ports: [{ port: 443, protocol: 'TCP' }], to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] },
        ],
        podSelector: {},
        policyTypes: ['Egress'],
      },
    ];
  }
  yield [`allow-team-${namespace.team}`, ingressOnly({}, [{ from: [{ namespaceSelector: { matchLabels: { team: namespace.team } } }] }])];

  // Cross-namespace allows, as many as the share needs: one per workload and peer namespace.
  const others = applications.filter((other) => other !== namespace);
  const peers = others.length > 0 ? others : [namespace];
  const offset = random.int(0, peers.length - 1);
  for (let k = 0; ; k++) {
    const workload = workloads[k % workloads.length] as WorkloadPlan;
    const peer = peers[(offset + Math.floor(k / workloads.length)) % peers.length] as NamespacePlan;
    const round = Math.floor(k / (workloads.length * peers.length));
    const name = `allow-${workload.name}-from-${peer.name}${round === 0 ? '' : `-${round + 1}`}`;
    const from = { namespaceSelector: nameLabel(peer.name), podSelector: { matchExpressions: [{ key: 'app.kubernetes.io/component', operator: 'In', values: ['api', 'worker'] }] } };
    yield [name, ingressOnly({ matchLabels: workload.selector }, [{ from: [from], ports: [{ endPort: 8090 + round, port: 8080, protocol: 'TCP' }] }])];
  }
}

function networkPolicy(namespace: NamespacePlan, name: string, spec: Record<string, unknown>, random: Random): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      annotations: { 'meta.helm.sh/release-name': `${namespace.name}-policies`, 'meta.helm.sh/release-namespace': namespace.name },
      creationTimestamp: kubeTime(namespace.createdAt + random.int(0, 30) * DAY),
      generation: 1,
      labels: { 'app.kubernetes.io/managed-by': 'Helm', team: namespace.team as string },
      name,
      namespace: namespace.name,
      resourceVersion: resourceVersion(random),
      uid: random.uuid(),
    },
    spec,
  };
}

/** Calico GlobalNetworkPolicies (`count` of them) and the GlobalNetworkSets they refer to. */
export function buildCalicoResources(count: number, random: Random): { policies: Array<Record<string, unknown>>; networkSets: Array<Record<string, unknown>> } {
  const policies: Array<Record<string, unknown>> = [];
  const networkSets: Array<Record<string, unknown>> = [];
  const metadata = (name: string, labels?: Record<string, string>) => ({
    creationTimestamp: kubeTime(SNAPSHOT_TIME - random.int(20, 390) * DAY),
    ...(labels ? { labels } : {}),
    name,
    resourceVersion: resourceVersion(random),
    uid: random.uuid(),
  });
  const policy = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: metadata(name), spec: { tier: 'default', ...spec } });

  const fixed = [
    policy('allow-cluster-dns', {
      ingress: [
        { action: 'Allow', destination: { ports: [53] }, protocol: 'UDP' },
        { action: 'Allow', destination: { ports: [53] }, protocol: 'TCP' },
      ],
      namespaceSelector: 'kubernetes.io/metadata.name == "kube-system"',
      order: 100,
      selector: 'k8s-app == "kube-dns"',
      types: ['Ingress'],
    }),
    policy('deny-instance-metadata', {
      egress: [
        { action: 'Deny', destination: { nets: ['169.254.169.254/32'] }, protocol: 'TCP' },
        { action: 'Pass' },
      ],
      order: 10,
      selector: 'all()',
      types: ['Egress'],
    }),
    policy('allow-prometheus-scrape', {
      ingress: [{ action: 'Allow', destination: { ports: ['metrics', 9090] }, protocol: 'TCP', source: { namespaceSelector: 'kubernetes.io/metadata.name == "monitoring"' } }],
      order: 200,
      selector: 'has(app.kubernetes.io/name)',
      types: ['Ingress'],
    }),
    ...TEAMS.map((team) =>
      policy(`team-${team}-ingress`, {
        ingress: [
          { action: 'Allow', source: { selector: `team == "${team}"` } },
          { action: 'Allow', source: { namespaceSelector: 'kubernetes.io/metadata.name == "ingress-nginx"' } },
        ],
        order: 500,
        selector: `team == "${team}"`,
        types: ['Ingress'],
      }),
    ),
  ];
  policies.push(...fixed.slice(0, count));

  // Partner allows: a GlobalNetworkSet of partner addresses and a policy admitting it to the web front ends.
  for (let k = 1; policies.length < count; k++) {
    const partner = `partner-${String(k).padStart(3, '0')}`;
    networkSets.push({
      apiVersion: 'projectcalico.org/v3',
      kind: 'GlobalNetworkSet',
      metadata: metadata(partner, { partner }),
      spec: { nets: [`203.0.113.${(k * 4) % 256}/30`, `198.51.100.${k % 256}/32`] },
    });
    policies.push(
      policy(`allow-${partner}`, {
        ingress: [{ action: 'Allow', destination: { ports: [8080] }, protocol: 'TCP', source: { selector: `partner == "${partner}"` } }],
        order: 800,
        selector: 'app.kubernetes.io/component == "web"',
        types: ['Ingress'],
      }),
    );
  }
  const byName = (a: Record<string, unknown>, b: Record<string, unknown>) => compareNames(a, b);
  return { policies: policies.sort(byName), networkSets: networkSets.sort(byName) };
}

function compareNames(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const first = (a.metadata as { name: string }).name;
  const second = (b.metadata as { name: string }).name;
  if (first === second) return 0;
  return first < second ? -1 : 1;
}
