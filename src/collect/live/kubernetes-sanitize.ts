import { commandDigest, reduceEnvValue } from '../sanitize.js';

// Applied to every Kubernetes object before it is written, so a collected snapshot never contains what
// the analysis does not need and may be a credential. What stays is still valid kubectl output, and the
// inventory derives the same model from it as from the unreduced object.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController', 'PodTemplate']);

/**
 * Returns a copy of a Kubernetes object without `metadata.managedFields` and without the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats the whole spec with env
 * values. Every pod spec in the copy is reduced. Env values become the Service host references they
 * contain, container `command` and `args` are dropped, and exec commands become a digest.
 */
export function sanitizeObject(object: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(object);
  sanitizeMetadata(copy.metadata);
  const kind = copy.kind;
  const spec = record(copy.spec);
  if (kind === 'Pod') sanitizePodSpec(spec);
  else if (typeof kind === 'string' && WORKLOAD_KINDS.has(kind)) sanitizeTemplate(spec?.template);
  else if (kind === 'CronJob') sanitizeTemplate(record(record(spec?.jobTemplate)?.spec)?.template);
  return copy;
}

function sanitizeMetadata(value: unknown): void {
  const metadata = record(value);
  if (!metadata) return;
  delete metadata.managedFields;
  const annotations = record(metadata.annotations);
  if (annotations) delete annotations[LAST_APPLIED];
}

function sanitizeTemplate(value: unknown): void {
  const template = record(value);
  if (!template) return;
  sanitizeMetadata(template.metadata);
  sanitizePodSpec(record(template.spec));
}

function sanitizePodSpec(spec: Record<string, unknown> | undefined): void {
  if (!spec) return;
  for (const list of CONTAINER_LISTS) {
    const containers = spec[list];
    if (!Array.isArray(containers)) continue;
    for (const container of containers) sanitizeContainer(record(container));
  }
}

function sanitizeContainer(container: Record<string, unknown> | undefined): void {
  if (!container) return;
  delete container.command;
  delete container.args;
  if (Array.isArray(container.env)) {
    for (const variable of container.env) {
      const entry = record(variable);
      // valueFrom names a Secret or ConfigMap key, never the value itself, so it is kept.
      if (entry && typeof entry.value === 'string') entry.value = reduceEnvValue(entry.value);
    }
  }
  for (const probe of PROBES) digestExec(record(container[probe]));
  const lifecycle = record(container.lifecycle);
  if (lifecycle) {
    for (const hook of Object.values(lifecycle)) digestExec(record(hook));
  }
}

function digestExec(handler: Record<string, unknown> | undefined): void {
  const exec = record(handler?.exec);
  if (!exec || !Array.isArray(exec.command)) return;
  exec.command = commandDigest(exec.command.map(String));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
