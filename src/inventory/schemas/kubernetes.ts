import { z } from 'zod';

// Schemas for the Kubernetes objects Rampart reads, as `kubectl get -o json|yaml` prints them. Only the
// fields the analysis uses are named and zod drops the rest, so fields that may hold credentials (container
// command and args, ConfigMap data) never enter the inventory and newer API versions still load.

const stringMap = z.record(z.string(), z.string());

export const ownerReferenceSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string(),
  name: z.string(),
  uid: z.string().optional(),
  controller: z.boolean().optional(),
});

export const objectMetaSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  labels: stringMap.optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  ownerReferences: z.array(ownerReferenceSchema).optional(),
  // Pod templates printed by kubectl carry `creationTimestamp: null`.
  creationTimestamp: z.string().nullish(),
});

export const labelSelectorSchema = z.object({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() }))
    .optional(),
});

const intOrString = z.union([z.number().int(), z.string()]);

export const probeSchema = z.object({
  httpGet: z.object({ path: z.string().optional(), port: intOrString, scheme: z.string().optional() }).optional(),
  tcpSocket: z.object({ port: intOrString }).optional(),
  grpc: z.object({ port: z.number().int(), service: z.string().optional() }).optional(),
  exec: z.object({ command: z.array(z.string()).optional() }).optional(),
  initialDelaySeconds: z.number().int().optional(),
  timeoutSeconds: z.number().int().optional(),
  periodSeconds: z.number().int().optional(),
  successThreshold: z.number().int().optional(),
  failureThreshold: z.number().int().optional(),
});

const quantity = z.union([z.string(), z.number()]);

export const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
  ports: z
    .array(z.object({ name: z.string().optional(), containerPort: z.number().int(), protocol: z.string().optional(), hostPort: z.number().int().optional() }))
    .optional(),
  env: z.array(z.object({ name: z.string(), value: z.string().optional(), valueFrom: z.record(z.string(), z.unknown()).optional() })).optional(),
  resources: z
    .looseObject({ limits: z.record(z.string(), quantity).optional(), requests: z.record(z.string(), quantity).optional() })
    .optional(),
  livenessProbe: probeSchema.optional(),
  readinessProbe: probeSchema.optional(),
  startupProbe: probeSchema.optional(),
  restartPolicy: z.string().optional(),
});

export const podSpecSchema = z.object({
  containers: z.array(containerSchema),
  initContainers: z.array(containerSchema).optional(),
  nodeName: z.string().optional(),
  hostNetwork: z.boolean().optional(),
  restartPolicy: z.string().optional(),
  serviceAccountName: z.string().optional(),
});

const containerStateSchema = z.object({
  waiting: z.object({ reason: z.string().optional(), message: z.string().optional() }).optional(),
  running: z.object({ startedAt: z.string().nullish() }).optional(),
  terminated: z
    .looseObject({
      reason: z.string().optional(),
      exitCode: z.number().int().optional(),
      signal: z.number().int().optional(),
      startedAt: z.string().nullish(),
      finishedAt: z.string().nullish(),
    })
    .optional(),
});

export const containerStatusSchema = z.object({
  name: z.string(),
  restartCount: z.number().int().default(0),
  ready: z.boolean().optional(),
  started: z.boolean().optional(),
  state: containerStateSchema.optional(),
  lastState: containerStateSchema.optional(),
});

export const podSchema = z.object({
  metadata: objectMetaSchema,
  spec: podSpecSchema,
  status: z
    .looseObject({
      phase: z.string().optional(),
      reason: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(z.object({ ip: z.string() })).optional(),
      hostIP: z.string().optional(),
      startTime: z.string().optional(),
      containerStatuses: z.array(containerStatusSchema).optional(),
      initContainerStatuses: z.array(containerStatusSchema).optional(),
    })
    .optional(),
});

export const podTemplateSchema = z.object({
  metadata: objectMetaSchema.partial().optional(),
  spec: podSpecSchema,
});

export const workloadSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    replicas: z.number().int().optional(),
    selector: labelSelectorSchema.optional(),
    template: podTemplateSchema,
  }),
  status: z.record(z.string(), z.unknown()).optional(),
});

export const cronJobSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    schedule: z.string().optional(),
    jobTemplate: z.object({ spec: z.object({ template: podTemplateSchema }) }),
  }),
});

export const servicePortSchema = z.object({
  name: z.string().optional(),
  protocol: z.string().optional(),
  appProtocol: z.string().optional(),
  port: z.number().int(),
  targetPort: intOrString.optional(),
  nodePort: z.number().int().optional(),
});

export const serviceSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    type: z.string().optional(),
    selector: stringMap.nullish(),
    ports: z.array(servicePortSchema).optional(),
    clusterIP: z.string().optional(),
    clusterIPs: z.array(z.string()).nullish(),
    externalTrafficPolicy: z.string().optional(),
    loadBalancerSourceRanges: z.array(z.string()).nullish(),
    loadBalancerClass: z.string().optional(),
    healthCheckNodePort: z.number().int().optional(),
  }),
  status: z
    .looseObject({
      loadBalancer: z
        .looseObject({ ingress: z.array(z.object({ hostname: z.string().optional(), ip: z.string().optional() })).optional() })
        .optional(),
    })
    .optional(),
});

export const namespaceSchema = z.object({ metadata: objectMetaSchema });

export const nodeSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({ providerID: z.string().optional(), podCIDR: z.string().optional(), unschedulable: z.boolean().optional() }).optional(),
  status: z
    .looseObject({
      addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
      conditions: z.array(z.object({ type: z.string(), status: z.string() })).optional(),
      allocatable: z.record(z.string(), quantity).optional(),
      capacity: z.record(z.string(), quantity).optional(),
    })
    .optional(),
});

/**
 * discovery.k8s.io EndpointSlice. Of each endpoint only its addresses, target reference and conditions are
 * kept; node names, zones and hints are dropped. A port whose number is null stands for no port.
 */
export const endpointSliceSchema = z.object({
  metadata: objectMetaSchema,
  addressType: z.string().optional(),
  endpoints: z
    .array(
      z.object({
        addresses: z.array(z.string()),
        targetRef: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional() }).optional(),
        conditions: z.object({ ready: z.boolean().nullish(), serving: z.boolean().nullish(), terminating: z.boolean().nullish() }).optional(),
      }),
    )
    .nullish(),
  ports: z.array(z.object({ name: z.string().nullish(), port: z.number().int().nullish(), protocol: z.string().nullish() })).nullish(),
});

// The API server rejects a NetworkPolicy whose label selector or port is invalid (Kubernetes
// ValidateLabelSelectorRequirement and ValidateNetworkPolicyPort), so such an object is skipped as invalid input
// instead of being evaluated as one that matches nothing.
const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const validatedLabelSelectorSchema = labelSelectorSchema.superRefine((selector, context) => {
  for (const [index, expression] of (selector.matchExpressions ?? []).entries()) {
    const path = ['matchExpressions', index];
    const count = expression.values?.length ?? 0;
    if (!SELECTOR_OPERATORS.includes(expression.operator)) {
      context.addIssue({ code: 'custom', path: [...path, 'operator'], message: `operator ${JSON.stringify(expression.operator)} is not a label selector operator: expected In, NotIn, Exists or DoesNotExist` });
    } else if ((expression.operator === 'In' || expression.operator === 'NotIn') && count === 0) {
      context.addIssue({ code: 'custom', path: [...path, 'values'], message: `operator ${expression.operator} needs at least one value` });
    } else if ((expression.operator === 'Exists' || expression.operator === 'DoesNotExist') && count > 0) {
      context.addIssue({ code: 'custom', path: [...path, 'values'], message: `operator ${expression.operator} takes no values` });
    }
  }
});

const networkPolicyPortSchema = z
  .object({ protocol: z.string().optional(), port: intOrString.optional(), endPort: z.number().int().optional() })
  .superRefine((entry, context) => {
    // A number written as a string is read as that number by the engine, so it gets the same range check.
    const port = typeof entry.port === 'string' && /^\d+$/.test(entry.port) ? Number(entry.port) : entry.port;
    if (typeof port === 'number' && !isPortNumber(port)) context.addIssue({ code: 'custom', path: ['port'], message: `port ${port} is out of range 1-65535` });
    if (entry.endPort === undefined) return;
    if (!isPortNumber(entry.endPort)) context.addIssue({ code: 'custom', path: ['endPort'], message: `endPort ${entry.endPort} is out of range 1-65535` });
    else if (typeof port === 'number' && entry.endPort < port) context.addIssue({ code: 'custom', path: ['endPort'], message: `endPort ${entry.endPort} is less than port ${port}` });
  });
const networkPolicyPeerSchema = z.object({
  podSelector: validatedLabelSelectorSchema.optional(),
  namespaceSelector: validatedLabelSelectorSchema.optional(),
  ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});

export const networkPolicySchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    podSelector: validatedLabelSelectorSchema,
    policyTypes: z.array(z.string()).optional(),
    ingress: z.array(z.object({ from: z.array(networkPolicyPeerSchema).optional(), ports: z.array(networkPolicyPortSchema).optional() })).optional(),
    egress: z.array(z.object({ to: z.array(networkPolicyPeerSchema).optional(), ports: z.array(networkPolicyPortSchema).optional() })).optional(),
  }),
});

// An Ingress backend. `service` is the networking.k8s.io/v1 form; `serviceName` and `servicePort` are the
// v1beta1 form that older manifests still carry.
const ingressBackendSchema = z.object({
  service: z.object({ name: z.string(), port: z.object({ name: z.string().optional(), number: z.number().int().optional() }).optional() }).optional(),
  resource: z.object({ apiGroup: z.string().nullish(), kind: z.string(), name: z.string() }).optional(),
  serviceName: z.string().optional(),
  servicePort: intOrString.optional(),
});

export const ingressSchema = z.object({
  metadata: objectMetaSchema,
  spec: z
    .object({
      ingressClassName: z.string().nullish(),
      defaultBackend: ingressBackendSchema.nullish(),
      backend: ingressBackendSchema.nullish(),
      rules: z
        .array(
          z.object({
            host: z.string().nullish(),
            http: z.object({ paths: z.array(z.object({ path: z.string().nullish(), pathType: z.string().nullish(), backend: ingressBackendSchema })).nullish() }).nullish(),
          }),
        )
        .nullish(),
    })
    .optional(),
});

export const ingressClassSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({ controller: z.string().optional() }).optional(),
});

// Istio AuthorizationPolicy (security.istio.io v1 and v1beta1). Rules, sources and operations keep fields this
// schema does not name, so that the engine can report a field it does not evaluate instead of dropping it.
const stringList = z.array(z.string()).nullish();

const authorizationSourceSchema = z.looseObject({
  principals: stringList,
  notPrincipals: stringList,
  requestPrincipals: stringList,
  notRequestPrincipals: stringList,
  namespaces: stringList,
  notNamespaces: stringList,
  serviceAccounts: stringList,
  notServiceAccounts: stringList,
  ipBlocks: stringList,
  notIpBlocks: stringList,
  remoteIpBlocks: stringList,
  notRemoteIpBlocks: stringList,
});

const authorizationOperationSchema = z.looseObject({
  hosts: stringList,
  notHosts: stringList,
  ports: stringList,
  notPorts: stringList,
  methods: stringList,
  notMethods: stringList,
  paths: stringList,
  notPaths: stringList,
});

export const authorizationConditionSchema = z.object({ key: z.string(), values: stringList, notValues: stringList });

export const authorizationRuleSchema = z.looseObject({
  from: z.array(z.object({ source: authorizationSourceSchema.nullish() })).nullish(),
  to: z.array(z.object({ operation: authorizationOperationSchema.nullish() })).nullish(),
  when: z.array(authorizationConditionSchema).nullish(),
});

export const authorizationPolicySchema = z.object({
  metadata: objectMetaSchema,
  spec: z
    .looseObject({
      selector: z.object({ matchLabels: stringMap.nullish() }).nullish(),
      targetRef: z.record(z.string(), z.unknown()).nullish(),
      targetRefs: z.array(z.record(z.string(), z.unknown())).nullish(),
      action: z.string().nullish(),
      provider: z.object({ name: z.string().optional() }).nullish(),
      rules: z.array(authorizationRuleSchema).nullish(),
    })
    .nullish(),
});

/** core/v1 Event. */
export const coreEventSchema = z.object({
  metadata: objectMetaSchema,
  involvedObject: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional(), uid: z.string().optional(), fieldPath: z.string().optional() }),
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  count: z.number().int().optional(),
  firstTimestamp: z.string().nullish(),
  lastTimestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
  series: z.object({ count: z.number().int().optional(), lastObservedTime: z.string().optional() }).nullish(),
});

/** events.k8s.io/v1 Event. */
export const eventsV1EventSchema = z.object({
  metadata: objectMetaSchema,
  regarding: z.object({ kind: z.string().optional(), name: z.string().optional(), namespace: z.string().optional(), uid: z.string().optional(), fieldPath: z.string().optional() }).optional(),
  reason: z.string().optional(),
  note: z.string().optional(),
  type: z.string().optional(),
  deprecatedCount: z.number().int().optional(),
  deprecatedFirstTimestamp: z.string().nullish(),
  deprecatedLastTimestamp: z.string().nullish(),
  eventTime: z.string().nullish(),
  series: z.object({ count: z.number().int().optional(), lastObservedTime: z.string().optional() }).nullish(),
});

// A Calico port is a number, a `min:max` range or a port name. libcalico-go (api/pkg/lib/numorstring) parses
// numbers as 16-bit values and rejects a range whose minimum exceeds its maximum, so such a policy never
// reaches Felix and is skipped as invalid input.
const calicoPortSchema = z.union([z.number(), z.string()]).superRefine((value, context) => {
  const message = calicoPortProblem(value);
  if (message) context.addIssue({ code: 'custom', message });
});

const calicoEntitySchema = z.looseObject({ ports: z.array(calicoPortSchema).optional(), notPorts: z.array(calicoPortSchema).optional() });

const calicoRuleSchema = z.object({
  action: z.string(),
  protocol: z.union([z.string(), z.number()]).optional(),
  notProtocol: z.union([z.string(), z.number()]).optional(),
  icmp: z.record(z.string(), z.unknown()).optional(),
  notICMP: z.record(z.string(), z.unknown()).optional(),
  ipVersion: z.number().optional(),
  http: z.record(z.string(), z.unknown()).optional(),
  source: calicoEntitySchema.optional(),
  destination: calicoEntitySchema.optional(),
});

export const calicoPolicySchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({
    tier: z.string().optional(),
    order: z.number().optional(),
    selector: z.string().optional(),
    namespaceSelector: z.string().optional(),
    serviceAccountSelector: z.string().optional(),
    types: z.array(z.string()).optional(),
    ingress: z.array(calicoRuleSchema).optional(),
    egress: z.array(calicoRuleSchema).optional(),
    doNotTrack: z.boolean().optional(),
    preDNAT: z.boolean().optional(),
    applyOnForward: z.boolean().optional(),
  }),
});

/**
 * Calico Profile (projectcalico.org/v3). Profiles are cluster-wide. On the Kubernetes datastore Calico
 * generates `kns.<namespace>` and `ksa.<namespace>.<serviceaccount>` and lists them read-only.
 */
export const calicoProfileSchema = z.object({
  metadata: objectMetaSchema,
  spec: z
    .object({
      ingress: z.array(calicoRuleSchema).optional(),
      egress: z.array(calicoRuleSchema).optional(),
      labelsToApply: stringMap.optional(),
    })
    .optional(),
});

/**
 * Calico Tier (projectcalico.org/v3), cluster-wide. `order` sorts the tiers, smallest first and unset last;
 * `defaultAction` (Calico 3.29 and later; Deny when unset) decides what a tier's policies select but no
 * rule decides. The schema keeps any text so that the engine can report a value Calico rejects.
 */
export const calicoTierSchema = z.object({
  metadata: objectMetaSchema,
  spec: z
    .object({
      order: z.number().optional(),
      defaultAction: z.string().optional(),
    })
    .optional(),
});

export const calicoNetworkSetSchema = z.object({
  metadata: objectMetaSchema,
  spec: z.object({ nets: z.array(z.string()).optional() }).optional(),
});

export const podMetricsSchema = z.object({
  metadata: objectMetaSchema,
  timestamp: z.string().optional(),
  containers: z.array(z.object({ name: z.string(), usage: z.record(z.string(), quantity) })).default([]),
});

export type ObjectMeta = z.infer<typeof objectMetaSchema>;
export type LabelSelector = z.infer<typeof labelSelectorSchema>;
export type Probe = z.infer<typeof probeSchema>;
export type Container = z.infer<typeof containerSchema>;
export type ContainerStatus = z.infer<typeof containerStatusSchema>;
export type PodSpec = z.infer<typeof podSpecSchema>;
export type AuthorizationCondition = z.infer<typeof authorizationConditionSchema>;
export type AuthorizationRule = z.infer<typeof authorizationRuleSchema>;

function isPortNumber(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Describes why libcalico-go rejects a Calico rule port, or returns undefined for a valid one. */
function calicoPortProblem(value: number | string): string | undefined {
  const inRange = (port: number) => Number.isInteger(port) && port >= 0 && port <= 65535;
  if (typeof value === 'number') return inRange(value) ? undefined : `port ${value} is out of range 0-65535`;
  const text = value.trim();
  if (/^\d+$/.test(text)) return inRange(Number(text)) ? undefined : `port ${text} is out of range 0-65535`;
  const range = /^(\d+):(\d+)$/.exec(text);
  if (range) {
    const [from, to] = [Number(range[1]), Number(range[2])];
    if (!inRange(from) || !inRange(to)) return `port range ${text} is out of range 0-65535`;
    return from > to ? `port range ${text} starts above its end` : undefined;
  }
  return /^[a-zA-Z0-9_.-]{1,128}$/.test(text) ? undefined : `port ${JSON.stringify(value)} is neither a number, a range MIN:MAX nor a port name`;
}
