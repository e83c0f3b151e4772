import { REMOVED_CONDITION_VALUE, commandDigest, isRequestConditionKey, serviceHostsIn } from '../collect/sanitize.js';
import type { AuthorizationCondition, AuthorizationRule, Container, PodSpec, Probe } from './schemas/kubernetes.js';
import type { SafeContainer, SafeEnvVar, SafePodSpec } from './model.js';

// Secrets never leak: the inventory keeps only what the analysis needs. Env values, exec probe commands
// and most annotations may carry credentials, so they are dropped here, before any check or renderer can
// see them. The schemas already drop container commands and arguments.

/**
 * Annotation keys that configure networking and release tracking and carry no credentials. Everything
 * else, `kubectl.kubernetes.io/last-applied-configuration` above all (it repeats the whole spec with env
 * values), is dropped.
 */
const SAFE_ANNOTATION_PREFIXES = [
  'service.beta.kubernetes.io/',
  'service.kubernetes.io/',
  'alb.ingress.kubernetes.io/',
  'meta.helm.sh/',
];
const SAFE_ANNOTATION_KEYS = new Set([
  'kubernetes.io/ingress.class',
  'ingressclass.kubernetes.io/is-default-class',
  'deployment.kubernetes.io/revision',
  'sidecar.istio.io/inject',
]);

export function safeAnnotations(annotations: Record<string, unknown> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(annotations ?? {})) {
    if (typeof value !== 'string') continue;
    if (SAFE_ANNOTATION_KEYS.has(key) || SAFE_ANNOTATION_PREFIXES.some((prefix) => key.startsWith(prefix))) result[key] = value;
  }
  return result;
}

export function safePodSpec(spec: PodSpec): SafePodSpec {
  return {
    ...spec,
    containers: spec.containers.map(safeContainer),
    initContainers: (spec.initContainers ?? []).map(safeContainer),
  };
}

function safeContainer(container: Container): SafeContainer {
  return {
    ...container,
    env: (container.env ?? []).map(safeEnvVar),
    livenessProbe: safeProbe(container.livenessProbe),
    readinessProbe: safeProbe(container.readinessProbe),
    startupProbe: safeProbe(container.startupProbe),
  } as SafeContainer;
}

function safeEnvVar(variable: { name: string; value?: string; valueFrom?: Record<string, unknown> }): SafeEnvVar {
  if (variable.valueFrom) {
    return { name: variable.name, from: Object.keys(variable.valueFrom).sort()[0] ?? 'valueFrom', serviceHosts: [] };
  }
  return { name: variable.name, from: 'value', serviceHosts: serviceHostsIn(variable.value ?? '') };
}

/**
 * Exec probe commands may embed credentials; a digest keeps them comparable without keeping the text.
 * Live collection writes the digest already, and digesting a digest returns it unchanged.
 */
function safeProbe(probe: Probe | undefined): Probe | undefined {
  if (!probe?.exec?.command) return probe;
  return { ...probe, exec: { command: commandDigest(probe.exec.command) } };
}

// The function lives in the collection layer, which reduces env values before writing them.
export { serviceHostsIn };

/**
 * Drops the values of `when` conditions on request attributes (`request.headers[…]`, `request.auth.…`) from an
 * AuthorizationPolicy: a header condition may hold an API key or a token. The engine evaluates connections,
 * not requests, so it needs only the condition's key.
 */
export function safeAuthorizationPolicySpec<S extends { rules?: AuthorizationRule[] | null | undefined } | null | undefined>(spec: S): S {
  if (!spec?.rules) return spec;
  return { ...spec, rules: spec.rules.map((rule) => (rule.when ? { ...rule, when: rule.when.map(safeCondition) } : rule)) };
}

function safeCondition(condition: AuthorizationCondition): AuthorizationCondition {
  if (!isRequestConditionKey(condition.key)) return condition;
  const removed = (values: string[]) => values.map(() => REMOVED_CONDITION_VALUE);
  return { key: condition.key, ...(condition.values ? { values: removed(condition.values) } : {}), ...(condition.notValues ? { notValues: removed(condition.notValues) } : {}) };
}
