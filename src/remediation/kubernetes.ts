import { Document, stringify } from 'yaml';
import type { FixIntent, SetContainerResourcesFix } from '../checks/types.js';
import type { Remediation } from './index.js';

// Renders container resource changes as a kubectl strategic-merge patch, the same patch as YAML, and
// Helm values snippets when a Helm release manages the workload. Containers are merged by name, so the
// patch changes only the resources it names and leaves every other field as it is.

const CAUTION = 'Applying this rolls out new pods, and a request larger than the free capacity of the nodes leaves them Pending.';

/** Renders a fix intent into remediations. Fix types other than `set-container-resources` get none. */
export function renderFix(fix: FixIntent): Remediation[] {
  if (fix.type !== 'set-container-resources') return [];
  const patch = strategicMergePatch(fix);
  const label = `${fix.workload.kind} ${fix.workload.namespace ? `${fix.workload.namespace}/` : ''}${fix.workload.name}`;
  const remediations: Remediation[] = [
    {
      format: 'kubectl',
      title: fix.helmRelease
        ? `Patch ${label} with kubectl (the next helm upgrade of release ${fix.helmRelease.name} reverts it)`
        : `Patch ${label} with kubectl`,
      content: `# ${CAUTION}\n${kubectlPatchCommand(fix, patch)}\n`,
      safety: 'suggestion',
    },
    {
      format: 'yaml',
      title: `Strategic merge patch for ${label}, for kubectl patch --type=strategic --patch-file`,
      content: yamlWithComment(patch, [fix.rationale, CAUTION]),
      safety: 'suggestion',
    },
  ];
  if (fix.helmRelease) {
    const namespace = fix.helmRelease.namespace ? ` in namespace ${fix.helmRelease.namespace}` : '';
    // One snippet per container, because each is a `resources:` block that goes wherever the chart reads it.
    for (const container of fix.containers) {
      const which = fix.containers.length > 1 ? `, ${container.init ? 'init container' : 'container'} ${container.name}` : '';
      remediations.push({
        format: 'helm-values',
        title: `Values for Helm release ${fix.helmRelease.name}${namespace}${which} (chart keys vary: check where the chart's values.yaml sets resources)`,
        content: helmValues(fix, container),
        safety: 'suggestion',
      });
    }
  }
  return remediations;
}

/** Builds the strategic-merge patch that sets the fix's resources on the workload's pod template. */
export function strategicMergePatch(fix: SetContainerResourcesFix): Record<string, unknown> {
  const toEntry = (container: SetContainerResourcesFix['containers'][number]) => ({ name: container.name, resources: resourcesOf(container) });
  const containers = fix.containers.filter((container) => !container.init).map(toEntry);
  const initContainers = fix.containers.filter((container) => container.init).map(toEntry);
  let patch: Record<string, unknown> = {
    ...(containers.length > 0 ? { containers } : {}),
    ...(initContainers.length > 0 ? { initContainers } : {}),
  };
  for (const key of [...podSpecPath(fix.workload.kind)].reverse()) patch = { [key]: patch };
  return patch;
}

/** Path from the object to its pod spec: CronJobs nest the pod template in their job template. */
function podSpecPath(kind: string): string[] {
  if (kind === 'Pod') return ['spec'];
  if (kind === 'CronJob') return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
  return ['spec', 'template', 'spec'];
}

function resourcesOf(container: SetContainerResourcesFix['containers'][number]): Record<string, Record<string, string>> {
  return {
    ...(container.limits && Object.keys(container.limits).length > 0 ? { limits: container.limits } : {}),
    ...(container.requests && Object.keys(container.requests).length > 0 ? { requests: container.requests } : {}),
  };
}

function kubectlPatchCommand(fix: SetContainerResourcesFix, patch: Record<string, unknown>): string {
  const namespace = fix.workload.namespace ? `-n ${shellQuote(fix.workload.namespace)} ` : '';
  const resource = fix.workload.kind.toLowerCase();
  return `kubectl ${namespace}patch ${resource} ${shellQuote(fix.workload.name)} --type=strategic -p ${shellQuote(JSON.stringify(patch))}`;
}

/** Renders a values snippet with the container's resources under `resources:`, where most charts read them. */
function helmValues(fix: SetContainerResourcesFix, container: SetContainerResourcesFix['containers'][number]): string {
  const document = new Document({ resources: resourcesOf(container) });
  document.commentBefore = ` ${container.init ? 'init container' : 'container'} ${container.name}`;
  return `${commentLines([fix.rationale, CAUTION])}${document.toString()}`;
}

function yamlWithComment(value: unknown, comments: string[]): string {
  return `${commentLines(comments)}${stringify(value)}`;
}

function commentLines(lines: string[]): string {
  return lines.map((line) => `# ${line}\n`).join('');
}

/** Quotes a shell word with single quotes unless it contains only characters the shell leaves alone. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9._\/:=@%+-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
