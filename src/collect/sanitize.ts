import { createHash } from 'node:crypto';

// Pure reductions of values that may carry credentials. Live collection applies them before anything is
// written, and the inventory applies the same functions to exported files, so a collected snapshot and a
// hand export of the same cluster give the same analysis.

const QUALIFIED_SERVICE_HOST = /\b([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.([a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.svc(?:\.[a-z0-9.-]+)?\b/g;
const URL_WITH_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const BARE_HOST = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;

/**
 * Finds in-cluster Service host names in an env value, returned as `name.namespace`. Bare URL hosts
 * without a dot (`http://redis:6379`) are returned as `name`, to be resolved in the pod's namespace.
 */
export function serviceHostsIn(value: string): string[] {
  const hosts = new Set<string>();
  for (const match of value.matchAll(QUALIFIED_SERVICE_HOST)) hosts.add(`${match[1]}.${match[2]}`);
  if (hosts.size === 0 && URL_WITH_SCHEME.test(value)) {
    try {
      const hostname = new URL(value).hostname;
      if (BARE_HOST.test(hostname) && hostname !== 'localhost') hosts.add(hostname);
    } catch {
      // Not a URL after all: nothing to keep.
    }
  }
  return [...hosts].sort();
}

/**
 * Reduces an env value to the Service host references it contains, written so that `serviceHostsIn`
 * finds exactly the same hosts in the result: `name.namespace.svc` for qualified hosts, separated by
 * spaces, and `http://name` for a bare URL host. A value without Service hosts becomes the empty string.
 */
export function reduceEnvValue(value: string): string {
  const hosts = serviceHostsIn(value);
  if (hosts.length === 0) return '';
  if (hosts.length === 1 && !hosts[0]!.includes('.')) return `http://${hosts[0]}`;
  return hosts.map((host) => `${host}.svc`).join(' ');
}

const DIGEST = /^sha256:[0-9a-f]{16}$/;

/**
 * Replaces an exec command, which may embed credentials, with the first 16 hex digits of the SHA-256
 * digest of its JSON form. A command that is already a digest is returned unchanged, so reducing twice
 * gives the same result.
 */
export function commandDigest(command: string[]): string[] {
  if (isCommandDigest(command)) return command;
  const digest = createHash('sha256').update(JSON.stringify(command)).digest('hex').slice(0, 16);
  return [`sha256:${digest}`];
}

export function isCommandDigest(command: string[]): boolean {
  return command.length === 1 && DIGEST.test(command[0] as string);
}

/** The text that replaces each value of an Istio `when` condition on a request attribute. */
export const REMOVED_CONDITION_VALUE = '(removed)';

/**
 * True for an Istio AuthorizationPolicy `when` key on a request attribute (`request.headers[…]`,
 * `request.auth.…`), whose values may be an API key, a token or another header value. The reachability
 * engine evaluates connections, not requests, so it needs the key of such a condition but not its values.
 */
export function isRequestConditionKey(key: string): boolean {
  return key.startsWith('request.');
}
