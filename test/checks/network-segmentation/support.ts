import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import type { Check, CheckOutcome } from '../../../src/checks/types.js';
import { load } from '../../engines/reach/support.js';

export { calicoPolicy, namespace, networkPolicy, pod } from '../../engines/reach/support.js';

/** Runs one check on documents in the real kubectl format. */
export function run(check: Check, documents: object[]): CheckOutcome {
  return check.run({ inventory: load(documents).inventory, config: DEFAULT_CONFIG });
}

export function service(namespaceName: string, name: string, selector: Record<string, string>, port: number): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: namespaceName }, spec: { selector, ports: [{ port, targetPort: port, protocol: 'TCP' }] } };
}
