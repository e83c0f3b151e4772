import { REMOVED_CONDITION_VALUE, commandDigest, isRequestConditionKey, reduceEnvValue } from '../sanitize.js';

// Applied to every Kubernetes object before it is written, so a collected snapshot never contains what
// the analysis does not need and may be a credential. What stays is still valid kubectl output, and the
// inventory derives the same model from it as from the unreduced object.

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const CONTAINER_LISTS = ['containers', 'initContainers', 'ephemeralContainers'] as const;
const PROBES = ['livenessProbe', 'readinessProbe', 'startupProbe'] as const;
const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicationController', 'PodTemplate']);

// The EndpointSlice fields that the inventory's EndpointSlice schema reads. Node names, zones, hostnames,
// topology hints and appProtocol are not written. A field the schema starts to read must be added here,
// and the model comparison in the sanitize tests fails until it is.
const ENDPOINT_SLICE_FIELDS = ['apiVersion', 'kind', 'metadata', 'addressType', 'endpoints', 'ports'];
const ENDPOINT_FIELDS = ['addresses', 'conditions', 'targetRef'];
const TARGET_REF_FIELDS = ['kind', 'name', 'namespace'];
const ENDPOINT_PORT_FIELDS = ['name', 'port', 'protocol'];

/**
 * Returns a copy of a Kubernetes object without `metadata.managedFields` and without the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation, which repeats the whole spec with env
 * values. Every pod spec in the copy is reduced. Env values become the Service host references they
 * contain, container `command` and `args` are dropped, and exec commands become a digest. The values of
 * AuthorizationPolicy `when` conditions on request attributes are replaced, and EndpointSlices keep only
 * the fields the inventory reads.
 */
export function sanitizeObject(object: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(object);
  sanitizeMetadata(copy.metadata);
  const kind = copy.kind;
  const spec = record(copy.spec);
  if (kind === 'Pod') sanitizePodSpec(spec);
  else if (typeof kind === 'string' && WORKLOAD_KINDS.has(kind)) sanitizeTemplate(spec?.template);
  else if (kind === 'CronJob') sanitizeTemplate(record(record(spec?.jobTemplate)?.spec)?.template);
  else if (kind === 'AuthorizationPolicy') sanitizeAuthorizationPolicy(spec);
  else if (kind === 'EndpointSlice') return reduceEndpointSlice(copy);
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

/**
 * Replaces the values of `when` conditions on request attributes as the inventory does, one
 * `(removed)` per value, and keeps only the condition's key, `values` and `notValues`.
 */
function sanitizeAuthorizationPolicy(spec: Record<string, unknown> | undefined): void {
  if (!Array.isArray(spec?.rules)) return;
  for (const rule of spec.rules) {
    const conditions = record(rule)?.when;
    if (!Array.isArray(conditions)) continue;
    conditions.forEach((value, index) => {
      const condition = record(value);
      if (!condition || typeof condition.key !== 'string' || !isRequestConditionKey(condition.key)) return;
      const removed = (values: unknown) => (Array.isArray(values) ? values.map(() => REMOVED_CONDITION_VALUE) : undefined);
      const values = removed(condition.values);
      const notValues = removed(condition.notValues);
      conditions[index] = { key: condition.key, ...(values ? { values } : {}), ...(notValues ? { notValues } : {}) };
    });
  }
}

function reduceEndpointSlice(slice: Record<string, unknown>): Record<string, unknown> {
  const reduced = pickFields(slice, ENDPOINT_SLICE_FIELDS);
  if (Array.isArray(reduced.endpoints)) reduced.endpoints = reduced.endpoints.map(reduceEndpoint);
  if (Array.isArray(reduced.ports)) reduced.ports = reduced.ports.map((port) => pickIfObject(port, ENDPOINT_PORT_FIELDS));
  return reduced;
}

function reduceEndpoint(value: unknown): unknown {
  const endpoint = record(value);
  if (!endpoint) return value;
  const reduced = pickFields(endpoint, ENDPOINT_FIELDS);
  if ('targetRef' in reduced) reduced.targetRef = pickIfObject(reduced.targetRef, TARGET_REF_FIELDS);
  return reduced;
}

/** Returns `value` with only `fields` when it is an object. Any other value is kept, for the inventory to report. */
function pickIfObject(value: unknown, fields: readonly string[]): unknown {
  const object = record(value);
  return object ? pickFields(object, fields) : value;
}

function pickFields(object: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((field) => field in object).map((field) => [field, object[field]]));
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
