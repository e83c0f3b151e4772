import type { EvidencePath } from '../../src/checks/types.js';
import type { RemediatedFinding } from '../../src/remediation/index.js';
import type { Report } from '../../src/report/report.js';

// Reports built by hand for the renderer tests, shaped like the pipeline's output for a small EKS cluster:
// an internet-facing NLB forwarding to NodePorts, datastores any pod can reach, and a crash-looping pod.

const nlbPath: EvidencePath = {
  source: '0.0.0.0/0',
  protocol: 'tcp',
  port: 31139,
  target: { kind: 'Pod', id: 'hie-prod-34/ffcloud-service-7d9c-abcde' },
  hops: [
    { kind: 'LoadBalancer', id: 'sde-prod-nlb', decision: 'forwards tcp/443 to target group k8s-hieprod-ffcloud', source: { file: 'aws/elbv2-describe-load-balancers.json', path: '$.LoadBalancers[0]' } },
    { kind: 'SecurityGroup', id: 'sg-0a1b2c3d4e5f60718', decision: 'allowed by rule 0.0.0.0/0 tcp 31139 (kubernetes.io/rule/nlb/client=a1b2)', source: { file: 'aws/ec2-describe-security-groups.json', path: '$.SecurityGroups[0].IpPermissions[1]' } },
    { kind: 'NetworkAcl', id: 'acl-0f1e2d3c4b5a69788', decision: 'allowed by rule 100 (all traffic from 0.0.0.0/0)' },
    { kind: 'NodePort', id: '31139', decision: 'open on every node' },
    { kind: 'Service', id: 'hie-prod-34/ffcloud-service', decision: 'selects 2 pods' },
  ],
};

function segmentationPath(source: string, target: string, port: number): EvidencePath {
  return {
    source,
    protocol: 'tcp',
    port,
    target: { kind: 'Pod', id: target },
    hops: [{ kind: 'NetworkPolicy', id: `${target.split('/')[0]}/allow-db`, decision: 'allowed: ingress rule 0 has no `from`' }],
  };
}

function finding(partial: Partial<RemediatedFinding> & Pick<RemediatedFinding, 'id' | 'checkId' | 'severity' | 'title' | 'category'>): RemediatedFinding {
  return {
    resources: [],
    problem: 'Problem sentence.',
    risk: 'Risk sentence.',
    recommendation: 'Recommendation sentence.',
    evidence: [],
    remediations: [],
    ...partial,
  };
}

export function sampleFindings(): RemediatedFinding[] {
  return [
    finding({
      id: '1a2b3c4d5e6f7081',
      checkId: 'nodeport-open-to-internet',
      category: 'network-exposure',
      severity: 'critical',
      title: 'NodePort 31139 is reachable from the internet',
      resources: [
        { kind: 'SecurityGroup', id: 'sg-0a1b2c3d4e5f60718', name: 'eks-cluster-sg-sde-prod' },
        { kind: 'LoadBalancer', id: 'arn:aws:elasticloadbalancing:eu-west-2:111122223333:loadbalancer/net/sde-prod-nlb/0123456789abcdef', name: 'sde-prod-nlb' },
      ],
      problem: 'Security group sg-0a1b2c3d4e5f60718 allows tcp/31139 from 0.0.0.0/0 on every node.',
      risk: 'Anyone on the internet can reach the ffcloud-service pods without passing the load balancer.',
      recommendation: 'Limit the NodePort rule to the load balancer subnets.',
      evidence: [{ fact: 'Rule 1 of sg-0a1b2c3d4e5f60718 allows tcp 31139 from 0.0.0.0/0.', source: { file: 'aws/ec2-describe-security-groups.json', path: '$.SecurityGroups[0].IpPermissions[1]' } }],
      paths: [nlbPath],
      remediations: [
        { format: 'aws-cli', title: 'Replace the open rule', content: 'aws ec2 revoke-security-group-ingress --group-id sg-0a1b2c3d4e5f60718 --ip-permissions IpProtocol=tcp,FromPort=31139,ToPort=31139,IpRanges=[{CidrIp=0.0.0.0/0}]\n', safety: 'suggestion', verification: 'Cuts 1 flow: 0.0.0.0/0 → tcp/31139.' },
      ],
    }),
    finding({
      id: '2b3c4d5e6f708192',
      checkId: 'datastore-reachable-from-any-pod',
      category: 'network-segmentation',
      severity: 'high',
      title: 'PostgreSQL in hie-prod-34 accepts connections from every namespace',
      resources: [{ kind: 'NetworkPolicy', namespace: 'hie-prod-34', name: 'allow-db' }],
      paths: [
        segmentationPath('hutch/hutch-api-6f7c9d-x2x4p', 'hie-prod-34/hie-prod-34-postgresql-0', 5432),
        segmentationPath('hutch/hutch-worker-0', 'hie-prod-34/hie-prod-34-postgresql-0', 5432),
        segmentationPath('spicedb/spicedb-0', 'hie-prod-34/hie-prod-34-postgresql-0', 5432),
        segmentationPath('10.65.0.0/20', 'hie-prod-34/hie-prod-34-postgresql-0', 5432),
      ],
      remediations: [{ format: 'yaml', title: 'Admit only the application pods', content: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n', safety: 'fix', verification: 'Keeps 1 flow the cluster needs.' }],
    }),
    finding({
      id: '3c4d5e6f70819203',
      checkId: 'datastore-reachable-from-any-pod',
      category: 'network-segmentation',
      severity: 'medium',
      title: 'MinIO in hutch accepts connections from every namespace',
      resources: [{ kind: 'NetworkPolicy', namespace: 'hutch', name: 'allow-minio' }],
      paths: [segmentationPath('hie-prod-34/ffcloud-service-7d9c-abcde', 'hutch/minio-0', 9000), segmentationPath('hutch/hutch-api-6f7c9d-x2x4p', 'hutch/minio-0', 9000)],
    }),
    finding({
      id: '4d5e6f7081920314',
      checkId: 'workload-restarts',
      category: 'stability',
      severity: 'medium',
      title: 'Deployment jobs/worker restarts repeatedly',
      resources: [{ kind: 'Deployment', namespace: 'jobs', name: 'worker' }],
      evidence: [{ fact: 'Container worker restarted 240 times.', source: { file: 'k8s/pods.json', path: '$.items[0].status.containerStatuses[0]' } }],
    }),
  ];
}

export function sampleReport(overrides: Partial<Report> = {}): Report {
  const findings = sampleFindings();
  const bySeverity = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const item of findings) bySeverity[item.severity] += 1;
  return {
    tool: { name: 'rampart', version: '0.1.0' },
    snapshot: { source: 'examples/sde-cluster', time: '2026-11-20T10:00:00.000Z', accounts: ['111122223333'], regions: ['eu-west-2'] },
    summary: { findings: findings.length, bySeverity, inputErrors: 0, suppressed: 1, minSeverity: null, belowMinSeverity: 0 },
    findings,
    suppressed: [
      {
        finding: finding({ id: '5e6f708192031425', checkId: 'workload-restarts', category: 'stability', severity: 'low', title: 'Job batch/import restarts', resources: [{ kind: 'Job', namespace: 'batch', name: 'import' }] }),
        suppression: 0,
        reason: 'Import job retries by design.',
        expires: '2027-01-31',
      },
    ],
    suppressions: [{ index: 0, check: 'workload-restarts', resource: 'Job batch/*', reason: 'Import job retries by design.', expires: '2027-01-31', status: 'applied', findings: ['5e6f708192031425'] }],
    checks: [
      { id: 'nodeport-open-to-internet', title: 'NodePort open to the internet', severity: 'critical', category: 'network-exposure', description: 'Reports NodePorts that a security group opens to the internet.', references: ['https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html'] },
      { id: 'datastore-reachable-from-any-pod', title: 'Datastore reachable from any pod', severity: 'high', category: 'network-segmentation', description: 'Reports datastores that NetworkPolicies leave open to every pod.', references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/'] },
      { id: 'workload-restarts', title: 'Workload restarts repeatedly', severity: 'medium', category: 'stability', description: 'Reports workloads whose containers restart repeatedly.', references: ['https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/'] },
    ],
    coverage: [
      { type: 'resource', kind: 'SecurityGroup', status: 'present', count: 3 },
      { type: 'resource', kind: 'Pod', status: 'present', count: 12 },
      { type: 'resource', kind: 'PodMetrics', status: 'missing', count: 0 },
      { type: 'check', checkId: 'nodeport-open-to-internet', status: 'ran', findings: 1, details: [] },
      { type: 'check', checkId: 'datastore-reachable-from-any-pod', status: 'ran', findings: 2, details: ['Calico GlobalNetworkPolicy with a `serviceAccountSelector` is not modelled'] },
      { type: 'check', checkId: 'workload-restarts', status: 'ran', findings: 1, details: [] },
      { type: 'file', file: 'notes.txt', status: 'ignored', details: ['not JSON or YAML'] },
    ],
    problems: [{ level: 'warning', file: 'k8s/events.json', path: '$.items[3]', message: 'event has no involvedObject' }],
    ...overrides,
  };
}

/** A report with no findings at all, as an audit of a healthy or empty snapshot gives. */
export function emptyReport(): Report {
  return sampleReport({
    summary: { findings: 0, bySeverity: { critical: 0, high: 0, medium: 0, low: 0, info: 0 }, inputErrors: 0, suppressed: 0, minSeverity: null, belowMinSeverity: 0 },
    findings: [],
    suppressed: [],
    suppressions: [],
    problems: [],
  });
}

/** Markup and script payloads placed in every text field a snapshot or settings file can influence. */
export const HOSTILE = [
  '<img src=x onerror="window.__rampartPwned=1;alert(1)">',
  '</script><script>window.__rampartPwned=2;alert(2)</script>',
  '"><svg onload="window.__rampartPwned=3;alert(3)">',
  "'><iframe srcdoc=\"<script>parent.__rampartPwned=4</script>\"></iframe>",
  '<!--',
  '\u2028</style><style>body{display:none}</style>',
  'javascript:alert(5)',
  '&lt;b&gt;already-escaped&lt;/b&gt;',
];

/** Every string field of the sample report replaced by a hostile payload, cycling through HOSTILE. */
export function hostileReport(): Report {
  let next = 0;
  const payload = () => HOSTILE[next++ % HOSTILE.length] as string;
  const report = sampleReport();
  const hostilePath = (path: EvidencePath): EvidencePath => ({
    source: payload(),
    protocol: payload(),
    port: payload(),
    target: { kind: payload(), id: payload() },
    hops: path.hops.map(() => ({ kind: payload(), id: payload(), decision: payload(), source: { file: payload(), path: payload() } })),
  });
  const hostileFinding = (item: RemediatedFinding): RemediatedFinding => ({
    ...item,
    title: payload(),
    problem: payload(),
    risk: payload(),
    recommendation: payload(),
    category: item.category === 'network-segmentation' ? item.category : payload(),
    checkId: payload(),
    resources: item.resources.map(() => ({ kind: payload(), id: payload(), namespace: payload(), name: payload() })),
    evidence: [{ fact: payload(), source: { file: payload(), path: payload() } }],
    paths: (item.paths ?? []).map(hostilePath),
    remediations: [{ format: payload(), title: payload(), content: payload(), safety: 'fix', verification: payload() }],
  });
  return {
    ...report,
    snapshot: { ...report.snapshot, source: payload(), accounts: [payload()], regions: [payload()] },
    findings: report.findings.map(hostileFinding),
    suppressed: report.suppressed.map((entry) => ({ ...entry, reason: payload(), expires: payload(), finding: hostileFinding(entry.finding) })),
    suppressions: report.suppressions.map((status) => ({ ...status, check: payload(), resource: payload(), reason: payload(), expires: payload() })),
    coverage: [
      { type: 'resource', kind: 'Pod', status: 'present', count: 1 },
      { type: 'check', checkId: payload(), status: 'skipped', findings: 0, details: [payload()] },
      { type: 'file', file: payload(), status: 'invalid', details: [payload()] },
    ],
    problems: [{ level: 'error', file: payload(), path: payload(), message: payload() }],
  };
}
