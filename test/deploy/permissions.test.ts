import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUILT_IN_RESOURCES, CALICO_GROUPS, CALICO_RESOURCES, ISTIO_GROUPS, METRICS_RESOURCE } from '../../src/collect/live/kubernetes.js';
import { exampleKubeResources } from '../collect/support/example.js';
import { examplePolicyResources, istioResource } from '../collect/support/policy-kinds.js';
import { collectFromMocks, type MockRun } from '../collect/support/run.js';
import { REPO_ROOT } from '../support/corpora.js';

// deploy/iam-policy.json and deploy/rbac.yaml must grant exactly what collection uses. The calls are
// taken from the loopback servers while the real collector runs every code path: scoped to a cluster,
// the whole region, an assumed role, Calico through its API server and through its CRDs, and Istio
// AuthorizationPolicies in v1 and v1beta1. A call the code adds without a permission, or a permission
// that nothing uses any more, fails here.

const IAM_PREFIX = { ec2: 'ec2', elbv2: 'elasticloadbalancing', eks: 'eks', sts: 'sts' } as const;

let runs: MockRun[];

beforeAll(async () => {
  const crdCalico = exampleKubeResources()
    .filter((resource) => resource.group !== 'projectcalico.org')
    .concat(CALICO_RESOURCES.map(({ resource }) => ({ group: 'crd.projectcalico.org', version: 'v1', resource, listKind: 'List', custom: true, items: [] })))
    .concat([istioResource('v1beta1')]);
  runs = await Promise.all([
    collectFromMocks({ kubeResources: examplePolicyResources('v1') }),
    collectFromMocks({ cluster: false }),
    collectFromMocks({ roleArn: 'arn:aws:iam::111122223333:role/rampart-reader', kubeResources: crdCalico }),
  ]);
  for (const run of runs) expect(run.error).toBeUndefined();
});

describe('deploy/iam-policy.json', () => {
  const policy = JSON.parse(readFileSync(path.join(REPO_ROOT, 'deploy/iam-policy.json'), 'utf8')) as {
    Version: string;
    Statement: Array<{ Effect: string; Action: string[]; Resource: string; Condition?: unknown }>;
  };
  const granted = () => policy.Statement.flatMap((statement) => statement.Action);

  it('allows every action collection sends, and no other', () => {
    const sent = new Set(runs.flatMap((run) => run.aws.requests.map((request) => `${IAM_PREFIX[request.service]}:${request.action}`)));
    // STS is not granted by the collecting role's policy: GetCallerIdentity needs no permission ("No
    // permissions are required to perform this operation", STS API Reference), and AssumeRole is allowed
    // on the identity that assumes the role, before this policy applies.
    const needed = [...sent].filter((action) => !action.startsWith('sts:')).sort();
    expect([...sent].filter((action) => action.startsWith('sts:')).sort()).toEqual(['sts:AssumeRole', 'sts:GetCallerIdentity']);
    expect([...granted()].sort()).toEqual(needed);
  });

  it('grants read-only actions only', () => {
    expect(policy.Version).toBe('2012-10-17');
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Resource).toBe('*');
      for (const action of statement.Action) expect(action).toMatch(/^(ec2|elasticloadbalancing|eks):(Describe|Get|List)[A-Za-z]+$/);
    }
    expect(new Set(granted()).size).toBe(granted().length);
  });
});

describe('deploy/rbac.yaml', () => {
  const documents = parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy/rbac.yaml'), 'utf8')).map((document) => document.toJS() as Record<string, any>);
  const role = documents.find((document) => document.kind === 'ClusterRole')!;
  const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }>;
  // Pseudo-resources the Calico API server checks before it lists policies; no request names them.
  const authorisationOnly = new Set(['projectcalico.org/tier.networkpolicies', 'projectcalico.org/tier.globalnetworkpolicies']);
  const grants = (verb: string) => new Set(rules.filter((rule) => rule.verbs.includes(verb)).flatMap((rule) => rule.apiGroups.flatMap((group) => rule.resources.map((resource) => `${group}/${resource}`))));

  it('allows every list collection sends, and nothing else', () => {
    const listed = new Set<string>();
    for (const run of runs) {
      for (const request of run.kube.requests) {
        if (request.path === '/apis') continue; // discovery: open to every authenticated user (system:discovery)
        const core = /^\/api\/v1\/([a-z]+)$/.exec(request.path);
        const grouped = /^\/apis\/([^/]+)\/[^/]+\/([a-z]+)$/.exec(request.path);
        expect(core ?? grouped, request.path).not.toBeNull();
        listed.add(core ? `/${core[1]}` : `${grouped![1]}/${grouped![2]}`);
      }
    }
    expect([...listed].sort()).toEqual([...grants('list')].filter((grant) => !authorisationOnly.has(grant)).sort());
  });

  it('lists the same resources as the collector table', () => {
    const table = [...BUILT_IN_RESOURCES, METRICS_RESOURCE].map((resource) => `${resource.group}/${resource.resource}`);
    const calico = CALICO_GROUPS.flatMap(({ group }) => CALICO_RESOURCES.map(({ resource }) => `${group}/${resource}`));
    const istio = [...new Set(ISTIO_GROUPS.map(({ group }) => `${group}/authorizationpolicies`))];
    expect([...grants('list')].filter((grant) => !authorisationOnly.has(grant)).sort()).toEqual([...table, ...calico, ...istio].sort());
  });

  it('grants get and list only, never on Secrets or ConfigMaps', () => {
    for (const rule of rules) {
      expect(rule.verbs.every((verb) => verb === 'get' || verb === 'list'), JSON.stringify(rule)).toBe(true);
      expect(rule.resources.some((resource) => resource === '*' || resource === 'secrets' || resource === 'configmaps')).toBe(false);
      expect(rule.apiGroups).not.toContain('*');
      expect(rule.nonResourceURLs).toBeUndefined();
    }
  });

  it('binds the role to the service account of the CronJob', () => {
    const account = documents.find((document) => document.kind === 'ServiceAccount')!;
    const binding = documents.find((document) => document.kind === 'ClusterRoleBinding')!;
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    const cronJob = parseAllDocuments(readFileSync(path.join(REPO_ROOT, 'deploy/cronjob.yaml'), 'utf8'))
      .map((document) => document.toJS() as Record<string, any>)
      .find((document) => document.kind === 'CronJob')!;
    expect(cronJob.metadata.namespace).toBe(account.metadata.namespace);
    const pod = cronJob.spec.jobTemplate.spec.template.spec;
    expect(pod.serviceAccountName).toBe(account.metadata.name);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.containers[0].args[0]).toContain('rampart collect --out');
  });
});
