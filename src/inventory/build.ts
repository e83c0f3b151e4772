import type { z } from 'zod';
import type { IgnoredFile, InputProblem, RawFile, RawSnapshot } from '../collect/types.js';
import type * as m from './model.js';
import { Inventory, emptyInventoryData, type InventoryData } from './inventory.js';
import {
  AWS_LIST_KEYS,
  AWS_UNSUPPORTED_KEYS,
  KUBERNETES_KINDS,
  apiGroupOf,
  locationFromArn,
  locationFromPath,
  subjectFromFileName,
} from './recognise.js';
import { MANIFEST_KEY, applyManifest } from './manifest.js';
import { safeAnnotations, safeAuthorizationPolicySpec, safePodSpec } from './sanitize.js';
import * as aws from './schemas/aws.js';
import * as k8s from './schemas/kubernetes.js';
import { childPath, type SourceRef } from './source.js';
import { compareText } from '../compare.js';

export interface LoadResult {
  inventory: Inventory;
  problems: InputProblem[];
  ignored: IgnoredFile[];
  /** Secret objects seen and dropped without reading their data, by file. */
  refusedSecrets: Array<{ file: string; count: number }>;
}

/** Output of a per-resource command, matched to its target group or load balancer after all files are read. */
interface PendingPerResource {
  kind: 'TargetGroupAttributes' | 'TargetHealth' | 'LoadBalancerAttributes' | 'PrefixListEntries';
  subject: string;
  /** True when `subject` is an ARN (Batfish's wrapped layout), false when it came from a file name. */
  byArn: boolean;
  value: unknown;
  source: SourceRef;
}

/**
 * Recognises, validates and indexes every file of a raw snapshot. Invalid objects are skipped with a
 * problem that names the file, the JSON path and what was expected; everything valid is kept.
 */
export function buildInventory(raw: RawSnapshot): LoadResult {
  const loader = new Loader(raw);
  for (const file of raw.files) loader.loadFile(file);
  loader.resolvePending();
  return loader.finish();
}

class Loader {
  private readonly data: InventoryData = emptyInventoryData();
  private readonly problems: InputProblem[];
  private readonly ignored: IgnoredFile[];
  private readonly refusedSecrets: Array<{ file: string; count: number }> = [];
  private readonly pending: PendingPerResource[] = [];
  private readonly seen = new Map<string, SourceRef>();
  private readonly fileNames: Set<string>;

  constructor(raw: RawSnapshot) {
    this.problems = [...raw.problems];
    this.ignored = [...raw.ignored];
    this.fileNames = new Set(raw.files.map((file) => file.file));
  }

  loadFile(file: RawFile): void {
    let recognised = 0;
    let secrets = 0;
    const reasons = new Set<string>();
    file.documents.forEach((document, index) => {
      const base: SourceRef = file.documents.length > 1 ? { file: file.file, document: index, path: '$' } : { file: file.file, path: '$' };
      const outcome = this.loadDocument(document, base);
      recognised += outcome.recognised;
      secrets += outcome.secrets;
      for (const reason of outcome.ignoredReasons) reasons.add(reason);
    });
    if (secrets > 0) this.refusedSecrets.push({ file: file.file, count: secrets });
    if (recognised === 0 && secrets === 0) {
      this.ignored.push({ file: file.file, reason: [...reasons].join('; ') || 'not an AWS CLI or kubectl output Rampart reads' });
    } else if (reasons.size > 0) {
      // A mixed List, or an unsupported key beside a supported one: list what was left out.
      this.ignored.push({ file: file.file, reason: `partly read; not read: ${[...reasons].sort().join('; ')}` });
    }
  }

  private loadDocument(document: unknown, base: SourceRef): { recognised: number; secrets: number; ignoredReasons: string[] } {
    if (!isRecord(document)) {
      return { recognised: 0, secrets: 0, ignoredReasons: ['top level is not an object: expected the output of an AWS CLI or kubectl command'] };
    }
    if (typeof document[MANIFEST_KEY] === 'number') {
      // The manifest of `rampart collect`: which API calls returned data and which were denied or failed.
      this.problems.push(...applyManifest(document, base, this.fileNames, this.data));
      return { recognised: 1, secrets: 0, ignoredReasons: [] };
    }
    if (typeof document.apiVersion === 'string' && typeof document.kind === 'string') return this.loadKubernetes(document, base);
    return this.loadAws(document, base);
  }

  // --- Kubernetes ---------------------------------------------------------------------------------

  private loadKubernetes(document: Record<string, unknown>, base: SourceRef): { recognised: number; secrets: number; ignoredReasons: string[] } {
    const kind = document.kind as string;
    const apiVersion = document.apiVersion as string;
    if (Array.isArray(document.items) && (kind === 'List' || kind.endsWith('List'))) {
      // Typed lists from the API (PodList, PodMetricsList) leave apiVersion and kind off their items.
      const itemKind = kind === 'List' ? undefined : kind.slice(0, -'List'.length);
      const totals = { recognised: 0, secrets: 0, ignoredReasons: [] as string[] };
      document.items.forEach((item, index) => {
        const source = { ...base, path: childPath(base.path, 'items', index) };
        if (!isRecord(item)) {
          this.problem(source, 'expected a Kubernetes object');
          return;
        }
        const withType = { apiVersion: itemKind ? apiVersion : undefined, kind: itemKind, ...item };
        if (typeof withType.apiVersion !== 'string' || typeof withType.kind !== 'string') {
          this.problem(source, 'list item has no apiVersion and kind: export with kubectl, which writes them on every item');
          return;
        }
        const outcome = this.loadKubernetes(withType, source);
        totals.recognised += outcome.recognised;
        totals.secrets += outcome.secrets;
        totals.ignoredReasons.push(...outcome.ignoredReasons);
      });
      if (document.items.length === 0) totals.recognised += 1;
      return totals;
    }

    if (kind === 'Secret' && apiGroupOf(apiVersion) === '') {
      // Refused unread: the object is dropped before any of its fields are looked at.
      return { recognised: 0, secrets: 1, ignoredReasons: [] };
    }
    const resourceKind = KUBERNETES_KINDS[`${apiGroupOf(apiVersion)}/${kind}`];
    if (!resourceKind) return { recognised: 0, secrets: 0, ignoredReasons: [`Kubernetes ${kind} (${apiVersion}) is not read by Rampart`] };
    this.data.present.add(resourceKind as m.ResourceKind);
    this.addKubernetes(resourceKind as m.ResourceKind, apiVersion, document, base);
    return { recognised: 1, secrets: 0, ignoredReasons: [] };
  }

  private addKubernetes(kind: m.ResourceKind, apiVersion: string, document: Record<string, unknown>, source: SourceRef): void {
    const d = this.data;
    switch (kind) {
      case 'Namespace':
        this.pushKube(d.namespaces, k8s.namespaceSchema, document, source, apiVersion, 'Namespace');
        return;
      case 'Node':
        this.pushKube(d.nodes, k8s.nodeSchema, document, source, apiVersion, 'Node');
        return;
      case 'Pod': {
        const pod = this.parseKube(k8s.podSchema, document, source, apiVersion, 'Pod');
        if (pod) this.pushUnique(d.pods, { ...pod, spec: safePodSpec(pod.spec) } as m.Pod);
        return;
      }
      case 'Service':
        this.pushKube(d.services, k8s.serviceSchema, document, source, apiVersion, 'Service');
        return;
      case 'EndpointSlice':
        this.pushKube(d.endpointSlices, k8s.endpointSliceSchema, document, source, apiVersion, 'EndpointSlice');
        return;
      case 'NetworkPolicy':
        this.pushKube(d.networkPolicies, k8s.networkPolicySchema, document, source, apiVersion, 'NetworkPolicy');
        return;
      case 'Ingress':
        this.pushKube(d.ingresses, k8s.ingressSchema, document, source, apiVersion, 'Ingress');
        return;
      case 'IngressClass':
        this.pushKube(d.ingressClasses, k8s.ingressClassSchema, document, source, apiVersion, 'IngressClass');
        return;
      case 'AuthorizationPolicy': {
        const policy = this.parseKube(k8s.authorizationPolicySchema, document, source, apiVersion, 'AuthorizationPolicy');
        if (policy) this.pushUnique(d.authorizationPolicies, { ...policy, spec: safeAuthorizationPolicySpec(policy.spec) } as m.AuthorizationPolicy);
        return;
      }
      case 'Event':
        this.addEvent(apiVersion, document, source);
        return;
      case 'Deployment':
      case 'ReplicaSet':
      case 'StatefulSet':
      case 'DaemonSet':
      case 'Job': {
        const workload = this.parseKube(k8s.workloadSchema, document, source, apiVersion, kind);
        if (!workload) return;
        const template = { ...workload.spec.template, spec: safePodSpec(workload.spec.template.spec) };
        const target = { Deployment: d.deployments, ReplicaSet: d.replicaSets, StatefulSet: d.statefulSets, DaemonSet: d.daemonSets, Job: d.jobs }[kind];
        this.pushUnique(target, { ...workload, spec: { ...workload.spec, template } } as m.Workload);
        return;
      }
      case 'CronJob': {
        const cronJob = this.parseKube(k8s.cronJobSchema, document, source, apiVersion, 'CronJob');
        if (!cronJob) return;
        const template = cronJob.spec.jobTemplate.spec.template;
        const safe = { ...template, spec: safePodSpec(template.spec) };
        this.pushUnique(d.cronJobs, { ...cronJob, spec: { ...cronJob.spec, jobTemplate: { spec: { ...cronJob.spec.jobTemplate.spec, template: safe } } } } as m.CronJob);
        return;
      }
      case 'CalicoNetworkPolicy':
      case 'CalicoGlobalNetworkPolicy':
        this.pushKube(d.calicoPolicies, k8s.calicoPolicySchema, document, source, apiVersion, document.kind as string);
        return;
      case 'CalicoNetworkSet':
      case 'CalicoGlobalNetworkSet':
        this.pushKube(d.calicoNetworkSets, k8s.calicoNetworkSetSchema, document, source, apiVersion, document.kind as string);
        return;
      case 'CalicoProfile':
        this.pushKube(d.calicoProfiles, k8s.calicoProfileSchema, document, source, apiVersion, 'Profile');
        return;
      case 'CalicoTier':
        this.pushKube(d.calicoTiers, k8s.calicoTierSchema, document, source, apiVersion, 'Tier');
        return;
      case 'PodMetrics':
        this.pushKube(d.podMetrics, k8s.podMetricsSchema, document, source, apiVersion, 'PodMetrics');
        return;
      default:
        return;
    }
  }

  private parseKube<S extends z.ZodType>(schema: S, document: Record<string, unknown>, source: SourceRef, apiVersion: string, kind: string) {
    // Calico's kinds share names with Kubernetes' (NetworkPolicy), so the message names whose kind it is.
    const owner = apiGroupOf(apiVersion).endsWith('projectcalico.org') ? 'Calico' : 'Kubernetes';
    const parsed = this.validate(schema, document, source, `a ${owner} ${kind}`);
    if (!parsed) return undefined;
    const value = parsed as z.infer<S> & { metadata: k8s.ObjectMeta };
    const { managedFields: _managedFields, ...metadata } = value.metadata as k8s.ObjectMeta & { managedFields?: unknown };
    return {
      ...value,
      apiVersion,
      kind,
      metadata: { ...metadata, labels: metadata.labels ?? {}, annotations: safeAnnotations(metadata.annotations) },
      source,
    };
  }

  private pushKube<S extends z.ZodType>(target: m.KubeObject[], schema: S, document: Record<string, unknown>, source: SourceRef, apiVersion: string, kind: string): void {
    const object = this.parseKube(schema, document, source, apiVersion, kind);
    if (object) this.pushUnique(target, object as unknown as m.KubeObject);
  }

  private addEvent(apiVersion: string, document: Record<string, unknown>, source: SourceRef): void {
    if (apiGroupOf(apiVersion) === 'events.k8s.io') {
      const event = this.validate(k8s.eventsV1EventSchema, document, source, 'an events.k8s.io Event');
      if (!event) return;
      this.pushEvent({
        source,
        name: event.metadata.name,
        namespace: event.metadata.namespace,
        involvedKind: event.regarding?.kind,
        involvedName: event.regarding?.name,
        involvedNamespace: event.regarding?.namespace ?? event.metadata.namespace,
        involvedUid: event.regarding?.uid,
        fieldPath: event.regarding?.fieldPath,
        reason: event.reason,
        message: event.note,
        type: event.type,
        count: event.series?.count ?? event.deprecatedCount ?? 1,
        firstTimestamp: event.deprecatedFirstTimestamp ?? event.eventTime ?? undefined,
        lastTimestamp: event.series?.lastObservedTime ?? event.deprecatedLastTimestamp ?? event.eventTime ?? undefined,
      });
      return;
    }
    const event = this.validate(k8s.coreEventSchema, document, source, 'a core/v1 Event');
    if (!event) return;
    this.pushEvent({
      source,
      name: event.metadata.name,
      namespace: event.metadata.namespace,
      involvedKind: event.involvedObject.kind,
      involvedName: event.involvedObject.name,
      involvedNamespace: event.involvedObject.namespace ?? event.metadata.namespace,
      involvedUid: event.involvedObject.uid,
      fieldPath: event.involvedObject.fieldPath,
      reason: event.reason,
      message: event.message,
      type: event.type,
      // A series supersedes the count; an event without either happened once.
      count: event.series?.count ?? event.count ?? 1,
      firstTimestamp: event.firstTimestamp ?? event.eventTime ?? undefined,
      lastTimestamp: event.series?.lastObservedTime ?? event.lastTimestamp ?? event.eventTime ?? undefined,
    });
  }

  /**
   * events.k8s.io/v1 is another view of the same Event objects as core/v1, so an event exported in both
   * forms is counted once.
   */
  private pushEvent(event: m.KubeEvent): void {
    const key = `Event ${event.namespace ?? ''}/${event.name}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, event.source);
    this.data.events.push(event);
  }

  // --- AWS ----------------------------------------------------------------------------------------

  private loadAws(document: Record<string, unknown>, base: SourceRef): { recognised: number; secrets: number; ignoredReasons: string[] } {
    const keys = Object.keys(document).filter((key) => key !== 'NextToken' && key !== 'ResponseMetadata');
    let recognised = 0;
    const reasons: string[] = [];
    if (typeof document.NextToken === 'string' && document.NextToken !== '') {
      this.problems.push({
        level: 'warning',
        file: base.file,
        path: '$.NextToken',
        message: 'holds one page of a paginated output: objects on later pages are missing; export without --max-items or --no-paginate',
      });
    }
    for (const key of keys) {
      const outcome = this.loadAwsKey(key, document[key], document, base);
      if (outcome === true) recognised += 1;
      else if (typeof outcome === 'string') reasons.push(outcome);
    }
    return { recognised, secrets: 0, ignoredReasons: reasons };
  }

  /** Loads one top-level key; returns true when it was recognised, or the reason it was not. */
  private loadAwsKey(key: string, value: unknown, document: Record<string, unknown>, base: SourceRef): true | string | undefined {
    const source = { ...base, path: childPath(base.path, key) };
    const location = locationFromPath(base.file);

    if (key in AWS_LIST_KEYS) {
      const kind = AWS_LIST_KEYS[key as keyof typeof AWS_LIST_KEYS];
      if (!Array.isArray(value)) {
        this.problem(source, `expected a list of ${kind} objects, found ${describeType(value)}`);
        return true;
      }
      this.data.present.add(kind);
      value.forEach((item, index) => this.addAws(kind, item, { ...source, path: childPath(source.path, index) }, location));
      return true;
    }

    switch (key) {
      case 'cluster': {
        const cluster = this.validate(aws.eksClusterSchema, value, source, 'the cluster of `aws eks describe-cluster`');
        this.data.present.add('EksCluster');
        if (cluster) this.pushUnique(this.data.eksClusters, { ...cluster, ...location, ...locationFromArn(cluster.arn), source });
        return true;
      }
      case 'Attributes': {
        const targetGroup = subjectFromFileName(base.file, 'target-group-attributes');
        const loadBalancer = subjectFromFileName(base.file, 'load-balancer-attributes');
        if (targetGroup) this.pending.push({ kind: 'TargetGroupAttributes', subject: targetGroup, byArn: false, value, source });
        else if (loadBalancer) this.pending.push({ kind: 'LoadBalancerAttributes', subject: loadBalancer, byArn: false, value, source });
        else {
          this.problem(source, 'elbv2 attributes do not name their target group or load balancer: name the file elbv2-describe-target-group-attributes.<TargetGroupName>.json or elbv2-describe-load-balancer-attributes.<LoadBalancerName>.json');
        }
        return true;
      }
      case 'TargetHealthDescriptions': {
        const targetGroup = subjectFromFileName(base.file, 'target-health');
        if (targetGroup) this.pending.push({ kind: 'TargetHealth', subject: targetGroup, byArn: false, value, source });
        else this.problem(source, 'target health does not name its target group: name the file elbv2-describe-target-health.<TargetGroupName>.json');
        return true;
      }
      case 'Entries': {
        const prefixList = subjectFromFileName(base.file, 'prefix-list-entries');
        if (prefixList) this.pending.push({ kind: 'PrefixListEntries', subject: prefixList, byArn: false, value, source });
        else this.problem(source, 'prefix list entries do not name their list: name the file ec2-get-managed-prefix-list-entries.<PrefixListId>.json');
        return true;
      }
      case 'LoadBalancerTargetHealth':
        return this.loadWrapped(value, source, 'TargetGroupArn', 'TargetHealthDescriptions', 'TargetHealth');
      case 'LoadBalancerAttributes':
        return this.loadWrapped(value, source, 'LoadBalancerArn', 'Attributes', 'LoadBalancerAttributes');
      case 'LoadBalancerListeners': {
        if (!Array.isArray(value)) {
          this.problem(source, `expected a list of {LoadBalancerArn, Listeners} objects, found ${describeType(value)}`);
          return true;
        }
        this.data.present.add('Listener');
        value.forEach((entry, index) => {
          const entrySource = { ...source, path: childPath(source.path, index) };
          const listeners = isRecord(entry) ? entry.Listeners : undefined;
          if (!Array.isArray(listeners)) {
            this.problem({ ...entrySource, path: childPath(entrySource.path, 'Listeners') }, `expected a list of listeners, found ${describeType(listeners)}`);
            return;
          }
          listeners.forEach((listener, listenerIndex) =>
            this.addAws('Listener', listener, { ...entrySource, path: childPath(entrySource.path, 'Listeners', listenerIndex) }, location),
          );
        });
        return true;
      }
      default:
        if (key in AWS_UNSUPPORTED_KEYS) return `${key}: ${AWS_UNSUPPORTED_KEYS[key]}`;
        return undefined;
    }
  }

  /** Batfish pairs each per-resource output with the ARN it describes. */
  private loadWrapped(value: unknown, source: SourceRef, arnKey: string, valueKey: string, kind: PendingPerResource['kind']): true {
    if (!Array.isArray(value)) {
      this.problem(source, `expected a list of {${arnKey}, ${valueKey}} objects, found ${describeType(value)}`);
      return true;
    }
    value.forEach((entry, index) => {
      const entrySource = { ...source, path: childPath(source.path, index) };
      if (!isRecord(entry) || typeof entry[arnKey] !== 'string') {
        this.problem(entrySource, `expected an object with ${arnKey}`);
        return;
      }
      this.pending.push({ kind, subject: entry[arnKey] as string, byArn: true, value: entry[valueKey], source: { ...entrySource, path: childPath(entrySource.path, valueKey) } });
    });
    return true;
  }

  private addAws(kind: string, item: unknown, source: SourceRef, location: { region?: string; account?: string }): void {
    const d = this.data;
    const add = <S extends z.ZodType>(target: Array<m.Sourced>, schema: S, what: string, arn?: (value: z.infer<S>) => string | undefined) => {
      const value = this.validate(schema, item, source, what);
      if (value === undefined) return;
      const fromArn = arn ? locationFromArn(arn(value)) : {};
      this.pushUnique(target, { ...(value as object), ...fromArn, ...withoutUndefined(location), source });
    };
    switch (kind) {
      case 'Vpc':
        return add(d.vpcs, aws.vpcSchema, 'a VPC');
      case 'Subnet':
        return add(d.subnets, aws.subnetSchema, 'a subnet');
      case 'RouteTable':
        return add(d.routeTables, aws.routeTableSchema, 'a route table');
      case 'InternetGateway':
        return add(d.internetGateways, aws.internetGatewaySchema, 'an internet gateway');
      case 'NatGateway':
        return add(d.natGateways, aws.natGatewaySchema, 'a NAT gateway');
      case 'NetworkAcl':
        return add(d.networkAcls, aws.networkAclSchema, 'a network ACL');
      case 'SecurityGroup':
        return add(d.securityGroups, aws.securityGroupSchema, 'a security group');
      case 'NetworkInterface':
        return add(d.networkInterfaces, aws.networkInterfaceSchema, 'a network interface');
      case 'Instance': {
        const reservation = this.validate(aws.reservationSchema, item, source, 'a reservation of `aws ec2 describe-instances`');
        if (!reservation) return;
        reservation.Instances.forEach((instance, index) => {
          const instanceSource = { ...source, path: childPath(source.path, 'Instances', index) };
          const value = this.validate(aws.instanceSchema, instance, instanceSource, 'an EC2 instance');
          if (value) this.pushUnique(d.instances, { ...value, account: reservation.OwnerId, ...withoutUndefined(location), source: instanceSource });
        });
        return;
      }
      case 'LoadBalancer':
        return add(d.loadBalancers, aws.loadBalancerSchema, 'an elbv2 load balancer', (value) => value.LoadBalancerArn);
      case 'Listener':
        return add(d.listeners, aws.listenerSchema, 'an elbv2 listener', (value) => value.ListenerArn);
      case 'TargetGroup':
        return add(d.targetGroups, aws.targetGroupSchema, 'an elbv2 target group', (value) => value.TargetGroupArn);
      case 'ManagedPrefixList': {
        const value = this.validate(aws.managedPrefixListSchema, item, source, 'a managed prefix list');
        if (!value) return;
        const entries = value.Cidrs?.map((cidr) => ({ Cidr: cidr }));
        this.pushUnique(d.prefixLists, { ...value, ...(entries ? { entries } : {}), ...withoutUndefined(location), source });
        return;
      }
      default:
        return;
    }
  }

  /** Attaches per-resource outputs (attributes, target health, prefix list entries) to their owners. */
  resolvePending(): void {
    for (const pending of this.pending) {
      if (pending.kind === 'PrefixListEntries') {
        this.attachPrefixListEntries(pending);
        continue;
      }
      if (pending.kind === 'LoadBalancerAttributes') {
        const loadBalancer = this.data.loadBalancers.find((lb) => (pending.byArn ? lb.LoadBalancerArn === pending.subject : lb.LoadBalancerName === pending.subject));
        const attributes = this.parseAttributes(pending);
        if (!attributes) continue;
        if (!loadBalancer) {
          this.orphan(pending, 'load balancer');
          continue;
        }
        (loadBalancer as m.LoadBalancerWithAttributes).attributes = attributes;
        continue;
      }
      const targetGroup = this.data.targetGroups.find((group) => (pending.byArn ? group.TargetGroupArn === pending.subject : group.TargetGroupName === pending.subject));
      if (pending.kind === 'TargetGroupAttributes') {
        const attributes = this.parseAttributes(pending);
        if (!attributes) continue;
        this.data.present.add('TargetGroupAttributes');
        if (!targetGroup) this.orphan(pending, 'target group');
        else Object.assign(targetGroup, { attributes, attributesSource: pending.source });
        continue;
      }
      if (!Array.isArray(pending.value)) {
        this.problem(pending.source, `expected a list of target health descriptions, found ${describeType(pending.value)}`);
        continue;
      }
      this.data.present.add('TargetHealth');
      const descriptions = pending.value.flatMap((entry, index) => {
        const value = this.validate(aws.targetHealthDescriptionSchema, entry, { ...pending.source, path: childPath(pending.source.path, index) }, 'a target health description');
        return value ? [value] : [];
      });
      if (!targetGroup) this.orphan(pending, 'target group');
      else Object.assign(targetGroup, { targetHealth: descriptions, targetHealthSource: pending.source });
    }
  }

  private attachPrefixListEntries(pending: PendingPerResource): void {
    if (!Array.isArray(pending.value)) {
      this.problem(pending.source, `expected a list of prefix list entries, found ${describeType(pending.value)}`);
      return;
    }
    const entries = pending.value.flatMap((entry, index) => {
      const value = this.validate(aws.prefixListEntrySchema, entry, { ...pending.source, path: childPath(pending.source.path, index) }, 'a prefix list entry');
      return value ? [value] : [];
    });
    const list = this.data.prefixLists.find((candidate) => candidate.PrefixListId === pending.subject);
    if (list) list.entries = entries;
    else this.orphan(pending, 'managed prefix list');
  }

  private parseAttributes(pending: PendingPerResource): Record<string, string> | undefined {
    if (!Array.isArray(pending.value)) {
      this.problem(pending.source, `expected a list of {Key, Value} attributes, found ${describeType(pending.value)}`);
      return undefined;
    }
    const attributes: Record<string, string> = {};
    pending.value.forEach((entry, index) => {
      const value = this.validate(aws.attributeSchema, entry, { ...pending.source, path: childPath(pending.source.path, index) }, 'an attribute {Key, Value}');
      if (value) attributes[value.Key] = value.Value;
    });
    return attributes;
  }

  private orphan(pending: PendingPerResource, what: string): void {
    this.problems.push({
      level: 'warning',
      file: pending.source.file,
      path: pending.source.path,
      message: `describes ${what} ${pending.subject}, which no other file of the snapshot defines; it is not used`,
    });
  }

  finish(): LoadResult {
    sortBySource(this.problems);
    return { inventory: new Inventory(this.data), problems: this.problems, ignored: this.ignored, refusedSecrets: this.refusedSecrets };
  }

  // --- helpers ------------------------------------------------------------------------------------

  private validate<S extends z.ZodType>(schema: S, value: unknown, source: SourceRef, what: string): z.infer<S> | undefined {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const issue = result.error.issues[0];
    const path = childPath(source.path, ...((issue?.path ?? []) as Array<string | number>));
    const detail = issue ? describeIssue(issue, value) : 'invalid value';
    this.problem({ ...source, path }, `${detail} (in ${what}; the object is skipped)`);
    return undefined;
  }

  private pushUnique<T extends m.Sourced>(target: T[], value: T): void {
    const key = identityOf(value);
    if (key) {
      const first = this.seen.get(key);
      if (first) {
        // One resource exported twice (two overlapping region outputs, a repeated kubectl get) is kept once.
        if (first.file !== value.source.file) {
          this.problems.push({ level: 'warning', file: value.source.file, path: value.source.path, message: `duplicates ${key} from ${first.file}; the first copy is used` });
        }
        return;
      }
      this.seen.set(key, value.source);
    }
    target.push(value);
  }

  private problem(source: SourceRef, message: string): void {
    this.problems.push({ level: 'error', file: source.file, ...(source.document === undefined ? {} : { document: source.document }), path: source.path, message });
  }
}

const AWS_ID_FIELDS = ['VpcId', 'SubnetId', 'RouteTableId', 'InternetGatewayId', 'NatGatewayId', 'NetworkAclId', 'GroupId', 'NetworkInterfaceId', 'InstanceId', 'ListenerArn', 'TargetGroupArn', 'LoadBalancerArn', 'PrefixListId'];

/** Returns the key that identifies one resource across files: the AWS ID field, or Kubernetes kind/namespace/name. */
function identityOf(value: m.Sourced): string | undefined {
  const record = value as unknown as Record<string, unknown>;
  if (isRecord(record.metadata) && typeof record.kind === 'string') {
    const metadata = record.metadata as { name?: string; namespace?: string };
    // Calico's NetworkPolicy shares its kind with Kubernetes'; its two API groups are views of one object.
    const group = apiGroupOf(String(record.apiVersion ?? '')).replace(/^crd\.projectcalico\.org$/, 'projectcalico.org');
    return `${group}/${record.kind} ${metadata.namespace ? `${metadata.namespace}/` : ''}${metadata.name}`;
  }
  // A subnet or a VPC has its own ID plus the IDs of its parents: the first field present is its own.
  const order = ['ListenerArn', 'TargetGroupArn', 'LoadBalancerArn', 'NetworkInterfaceId', 'InstanceId', 'RouteTableId', 'NetworkAclId', 'NatGatewayId', 'InternetGatewayId', 'GroupId', 'SubnetId', 'PrefixListId', 'VpcId'];
  for (const field of order) {
    if (AWS_ID_FIELDS.includes(field) && typeof record[field] === 'string') return `${field} ${record[field] as string}`;
  }
  if (typeof record.name === 'string' && typeof record.arn === 'string') return `EksCluster ${record.arn}`;
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  if (issue.code === 'invalid_type') {
    const actual = valueAt(root, issue.path as Array<string | number>);
    return actual === undefined ? `missing ${issue.expected}` : `expected ${issue.expected}, found ${describeType(actual)}`;
  }
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return issue.message;
}

function valueAt(root: unknown, path: Array<string | number>): unknown {
  let current: unknown = root;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (value === undefined) return 'nothing';
  return `${typeof value} ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function sortBySource(problems: InputProblem[]): void {
  problems.sort((a, b) => compareText(a.file, b.file) || (a.document ?? 0) - (b.document ?? 0) || compareText(a.path ?? '', b.path ?? ''));
}
