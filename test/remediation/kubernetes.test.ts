import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { FixIntent, SetContainerResourcesFix } from '../../src/checks/types.js';
import { renderFix, shellQuote, strategicMergePatch } from '../../src/remediation/kubernetes.js';

const deploymentFix: SetContainerResourcesFix = {
  type: 'set-container-resources',
  workload: { kind: 'Deployment', namespace: 'shop', name: 'api' },
  containers: [{ name: 'api', limits: { memory: '512Mi' }, requests: { memory: '512Mi' } }],
  rationale: 'Memory limit from 2 × the current limit of 256Mi, rounded up to a multiple of 64Mi.',
};

/** Extracts the JSON argument of `-p '…'` from a rendered kubectl command. */
function patchArgument(command: string): unknown {
  const match = /-p '(.*)'$/m.exec(command);
  if (!match) throw new Error(`no -p argument in ${command}`);
  return JSON.parse(match[1]!.replace(/'\\''/g, "'"));
}

describe('renderFix', () => {
  it('renders a kubectl strategic-merge patch', () => {
    const kubectl = renderFix(deploymentFix).find((remediation) => remediation.format === 'kubectl')!;
    expect(kubectl.title).toBe('Patch Deployment shop/api with kubectl');
    expect(kubectl.content.trim().split('\n').at(-1)).toBe(
      `kubectl -n shop patch deployment api --type=strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"api","resources":{"limits":{"memory":"512Mi"},"requests":{"memory":"512Mi"}}}]}}}}'`,
    );
    expect(patchArgument(kubectl.content)).toEqual(strategicMergePatch(deploymentFix));
  });

  it('renders the same patch as YAML', () => {
    const yaml = renderFix(deploymentFix).find((remediation) => remediation.format === 'yaml')!;
    expect(parse(yaml.content)).toEqual({
      spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } } }] } } },
    });
    expect(yaml.content.startsWith(`# ${deploymentFix.rationale}\n`)).toBe(true);
  });

  it('renders no Helm values without a release', () => {
    expect(renderFix(deploymentFix).map((remediation) => remediation.format)).toEqual(['kubectl', 'yaml']);
  });

  it('renders Helm values for a release', () => {
    const fix: SetContainerResourcesFix = { ...deploymentFix, helmRelease: { name: 'shop-api', namespace: 'shop' } };
    const remediations = renderFix(fix);
    expect(remediations.map((remediation) => remediation.format)).toEqual(['kubectl', 'yaml', 'helm-values']);
    const helm = remediations[2]!;
    expect(helm.title).toBe("Values for Helm release shop-api in namespace shop (chart keys vary: check where the chart's values.yaml sets resources)");
    expect(parse(helm.content)).toEqual({ resources: { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } } });
    expect(helm.content).toContain('# container api\n');
    expect(remediations[0]?.title).toBe('Patch Deployment shop/api with kubectl (the next helm upgrade of release shop-api reverts it)');
  });

  it('renders one Helm values snippet per container', () => {
    // Each snippet is valid YAML on its own: two `resources:` keys in one file would not be.
    const fix: SetContainerResourcesFix = {
      ...deploymentFix,
      containers: [
        { name: 'api', limits: { memory: '512Mi' } },
        { name: 'proxy', requests: { cpu: '20m' } },
      ],
      helmRelease: { name: 'shop-api' },
    };
    const helm = renderFix(fix).filter((remediation) => remediation.format === 'helm-values');
    expect(helm.map((remediation) => remediation.title)).toEqual([
      "Values for Helm release shop-api, container api (chart keys vary: check where the chart's values.yaml sets resources)",
      "Values for Helm release shop-api, container proxy (chart keys vary: check where the chart's values.yaml sets resources)",
    ]);
    expect(helm.map((remediation) => parse(remediation.content))).toEqual([{ resources: { limits: { memory: '512Mi' } } }, { resources: { requests: { cpu: '20m' } } }]);
  });

  it('patches init containers under initContainers', () => {
    const fix: SetContainerResourcesFix = {
      ...deploymentFix,
      workload: { kind: 'StatefulSet', namespace: 'cache', name: 'web' },
      containers: [
        { name: 'web', limits: { memory: '1Gi' } },
        { name: 'warm-cache', init: true, limits: { memory: '256Mi' }, requests: { memory: '256Mi' } },
      ],
    };
    expect(strategicMergePatch(fix)).toEqual({
      spec: {
        template: {
          spec: {
            containers: [{ name: 'web', resources: { limits: { memory: '1Gi' } } }],
            initContainers: [{ name: 'warm-cache', resources: { limits: { memory: '256Mi' }, requests: { memory: '256Mi' } } }],
          },
        },
      },
    });
  });

  it('patches a CronJob through its job template', () => {
    const fix: SetContainerResourcesFix = { ...deploymentFix, workload: { kind: 'CronJob', namespace: 'ops', name: 'backup' } };
    const kubectl = renderFix(fix)[0]!;
    expect(kubectl.content).toContain('kubectl -n ops patch cronjob backup --type=strategic');
    expect(patchArgument(kubectl.content)).toEqual({
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'api', resources: { limits: { memory: '512Mi' }, requests: { memory: '512Mi' } } }] } } } } },
    });
  });

  it('leaves out -n without a namespace', () => {
    const fix: SetContainerResourcesFix = { ...deploymentFix, workload: { kind: 'Deployment', name: 'api' } };
    expect(renderFix(fix)[0]?.content).toContain("kubectl patch deployment api --type=strategic -p '");
  });

  it('marks every remediation as a suggestion', () => {
    // Applying a resources change rolls out pods and may leave them Pending on full nodes.
    const remediations = renderFix({ ...deploymentFix, helmRelease: { name: 'shop-api' } });
    expect(remediations.map((remediation) => remediation.safety)).toEqual(['suggestion', 'suggestion', 'suggestion']);
    for (const remediation of remediations) expect(remediation.content).toContain('rolls out new pods');
  });

  it('renders nothing for other fix types', () => {
    const other = { type: 'network-policy' } as unknown as FixIntent;
    expect(renderFix(other)).toEqual([]);
  });
});

describe('shellQuote', () => {
  it('leaves plain words alone', () => {
    expect(shellQuote('kube-system')).toBe('kube-system');
  });

  it('quotes JSON', () => {
    expect(shellQuote('{"a":1}')).toBe(`'{"a":1}'`);
  });

  it('escapes single quotes', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
