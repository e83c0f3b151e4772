import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildInventory } from '../../../src/inventory/build.js';
import {
  AddressSet,
  ConnSet,
  matchesCalicoSelector,
  parseCalicoSelector,
  parseCidr,
  PROTOCOL,
  ReachModel,
  type AddressRange,
  type PodEndpoint,
} from '../../../src/engines/reach/index.js';
import { partition } from '../../../src/engines/reach/addresses.js';
import { CORPORA, HAS_CORPORA } from '../../support/corpora.js';
import { conformToApi, isRecord } from './support.js';

// network-config-analyzer's Calico test cases (IBM/network-config-analyzer, tests/calico_testcases): each
// scheme names a topology, configurations (lists of policy files) and queries with expected answers. This
// test runs the three query kinds that test reachability directly:
// - connectivityMap with an expected output file: the expected firewall rules are expanded to
//   (source, destination, connections) per pod pair and per address piece, and compared with the engine;
// - permits A B…: how many of B… explicitly allow a connection that A does not allow;
// - forbids A B…: how many of B… explicitly allow a connection that A also allows.
// "Explicitly allowed", as that project defines it, is what a policy that selects the source (egress) or
// the destination (ingress) allows, intersected with what the other side allows.
//
// network-config-analyzer treats Calico nets and ipBlocks as addresses outside the pods, so the engine runs
// with ipBlocksMatchPods false here. It also takes an ingress controller to open only the connections its
// Ingresses route, so the engine runs with ingressControllerEgress 'routes'.
//
// network-config-analyzer reads only the labelsToApply of a Calico Profile: it leaves profile rules out and
// lets traffic that no policy decides through, as the kns profile Calico generates does. Calico evaluates
// profile rules and drops what no profile allows, so each Profile is loaded here with its labels and an
// Allow rule per direction in place of its rules (see conformProfile).

const ROOT = path.join(CORPORA, 'network-config-analyzer-calico');
const POLICIES = path.join(ROOT, 'example_policies');

/** Cases that need input the engine does not model, with the reason. */
const KNOWN_FAILURES: Record<string, string> = {
  'testcase18-pass/testcase18-scheme.yaml connectivity_map np-pod-based-policies':
    'its policies have no order; network-config-analyzer evaluates them in file order, Calico (and the engine) by name, so a Pass and a Deny swap places',
};

/** Kinds the engine evaluates; a configuration with any other kind cannot be compared. */
const SUPPORTED_KINDS = new Set(['NetworkPolicy', 'GlobalNetworkPolicy', 'NetworkSet', 'GlobalNetworkSet', 'Profile', 'Ingress', 'AuthorizationPolicy']);

interface Scheme {
  file: string;
  dir: string;
  namespaceList?: string;
  podList?: string;
  networkConfigList: Array<{ name: string; networkPolicyList: string[] }>;
  queries: Array<Record<string, unknown>>;
}

interface Case {
  id: string;
  run: () => void;
}

const cases: Case[] = HAS_CORPORA && existsSync(POLICIES) ? collectCases() : [];

describe.skipIf(!HAS_CORPORA || !existsSync(POLICIES))('network-config-analyzer Calico cases', () => {
  it('finds the reachability queries', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((testCase) => [testCase.id, testCase] as const))('%s', (id, testCase) => {
    const reason = KNOWN_FAILURES[id];
    if (!reason) {
      testCase.run();
      return;
    }
    // A known failure that starts passing must leave the table.
    expect(() => testCase.run(), `${id} is listed as a known failure (${reason}) but passes`).toThrow();
  });

  it('lists no known failure that is not a case', () => {
    const ids = new Set(cases.map((testCase) => testCase.id));
    for (const id of Object.keys(KNOWN_FAILURES)) expect(ids, id).toContain(id);
  });
});

function collectCases(): Case[] {
  const result: Case[] = [];
  for (const folder of readdirSync(POLICIES).sort()) {
    const dir = path.join(POLICIES, folder);
    if (!statSync(dir).isDirectory()) continue;
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.yaml')) continue;
      const document = parseAllDocuments(readFileSync(path.join(dir, file), 'utf8'))[0]?.toJS() as unknown;
      if (!isRecord(document) || !Array.isArray(document.queries) || !Array.isArray(document.networkConfigList)) continue;
      const scheme: Scheme = {
        file: `${folder}/${file}`,
        dir,
        ...(typeof document.namespaceList === 'string' ? { namespaceList: document.namespaceList } : {}),
        ...(typeof document.podList === 'string' ? { podList: document.podList } : {}),
        networkConfigList: (document.networkConfigList as Array<Record<string, unknown>>).map((config) => ({ name: String(config.name), networkPolicyList: (config.networkPolicyList as string[]) ?? [] })),
        queries: document.queries as Array<Record<string, unknown>>,
      };
      if (!scheme.podList) continue;
      result.push(...schemeCases(scheme));
    }
  }
  return result;
}

function schemeCases(scheme: Scheme): Case[] {
  const result: Case[] = [];
  for (const query of scheme.queries) {
    const name = String(query.name);
    if (Array.isArray(query.connectivityMap) && typeof query.expectedOutput === 'string') {
      const sections = parseExpectedOutput(readFileSync(path.join(scheme.dir, query.expectedOutput), 'utf8'));
      for (const reference of query.connectivityMap as string[]) {
        result.push({
          id: `${scheme.file} ${name} ${reference}`,
          run: () => {
            // Section headers leave out the policy kind of `config/Kind/namespace/name` references.
            const parts = reference.split('/');
            const lines = sections.get(reference) ?? sections.get(parts.length === 4 ? [parts[0], parts[2], parts[3]].join('/') : reference);
            if (!lines) throw new Error(`no expected section for ${reference}`);
            compareConnectivity(scheme, reference, lines);
          },
        });
      }
    }
    for (const kind of ['permits', 'forbids'] as const) {
      if (!Array.isArray(query[kind]) || typeof query.expected !== 'number') continue;
      const references = query[kind] as string[];
      const expected = query.expected;
      result.push({
        id: `${scheme.file} ${name}`,
        run: () => expect(countPermitsOrForbids(scheme, kind, references)).toBe(expected),
      });
    }
  }
  return result;
}

// --- loading configurations -------------------------------------------------------------------------

interface Config {
  model: ReachModel;
  pods: PodEndpoint[];
}

const configCache = new Map<string, Config>();

function loadConfig(scheme: Scheme, reference: string): Config {
  const key = `${scheme.file}|${reference}`;
  const cached = configCache.get(key);
  if (cached) return cached;
  const [configName, ...policyPath] = reference.split('/');
  const config = scheme.networkConfigList.find((candidate) => candidate.name === configName);
  if (!config) throw new Error(`configuration ${configName} is not in ${scheme.file}`);

  const policyDocuments = config.networkPolicyList.flatMap((file) => readDocuments(path.join(scheme.dir, file))).flatMap(flattenLists);
  const unsupported = [...new Set(policyDocuments.map((document) => String(document.kind)).filter((kind) => !SUPPORTED_KINDS.has(kind) || (kind === 'NetworkPolicy' && false)))];
  const isolated = policyPath.length > 0 ? policyDocuments.filter((document) => matchesPolicyReference(document, policyPath)) : policyDocuments;
  if (policyPath.length > 0 && isolated.length === 0) throw new Error(`${reference} names no policy`);
  // Profiles label pods for every policy of the configuration, so they stay when one policy is isolated.
  const relevant = (policyPath.length > 0 ? [...isolated, ...policyDocuments.filter((document) => document.kind === 'Profile')] : policyDocuments).map(conformProfile);
  const relevantUnsupported = [...new Set(relevant.map((document) => String(document.kind)).filter((kind) => !SUPPORTED_KINDS.has(kind)))];
  if (relevantUnsupported.length > 0) throw new Error(`${reference} uses kinds the engine does not evaluate: ${relevantUnsupported.join(', ')} (all kinds: ${unsupported.join(', ')})`);

  const topology = [
    ...(scheme.namespaceList ? readDocuments(path.join(scheme.dir, scheme.namespaceList)) : []),
    ...readDocuments(path.join(scheme.dir, scheme.podList as string)),
  ].flatMap(flattenLists).map(workloadEndpointToPod).filter((document): document is Record<string, unknown> => document !== undefined);
  const load = buildInventory({ root: 'memory', files: [{ file: 'topology.json', documents: topology.map(conformToApi) }, { file: 'policies.yaml', documents: relevant.map(conformToApi) }], problems: [], ignored: [] });
  const errors = load.problems.filter((problem) => problem.level === 'error');
  if (errors.length > 0) throw new Error(`${reference} does not load: ${errors.slice(0, 3).map((problem) => `${problem.file} ${problem.path} ${problem.message}`).join('; ')}`);
  const model = new ReachModel(load.inventory, { ipBlocksMatchPods: false, ingressControllerEgress: 'routes' });
  const result = { model, pods: model.pods };
  configCache.set(key, result);
  return result;
}

/** Replaces a Profile's rules with one Allow rule per direction, keeping its labels (see the note at the top). */
function conformProfile(document: Record<string, unknown>): Record<string, unknown> {
  if (document.kind !== 'Profile') return document;
  const spec = isRecord(document.spec) ? document.spec : {};
  return { ...document, spec: { ...(isRecord(spec.labelsToApply) ? { labelsToApply: spec.labelsToApply } : {}), ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] } };
}

/** `ns/name`, `name` (global) or `Kind/ns/name`, as network-config-analyzer names one policy of a configuration. */
function matchesPolicyReference(document: Record<string, unknown>, reference: string[]): boolean {
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const name = String(metadata.name);
  const namespace = metadata.namespace === undefined ? undefined : String(metadata.namespace);
  const calico = String(document.apiVersion).includes('calico');
  if (reference.length === 3) {
    const [kind, policyNamespace, policyName] = reference;
    const documentKind = calico ? `Calico${String(document.kind)}` : `K8s${String(document.kind)}`;
    return kind === documentKind && policyNamespace === namespace && policyName === name;
  }
  if (reference.length === 2) return reference[0] === namespace && reference[1] === name;
  return namespace === undefined && reference[0] === name;
}

function readDocuments(target: string): Array<Record<string, unknown>> {
  if (statSync(target).isDirectory()) return readdirSync(target).sort().flatMap((file) => readDocuments(path.join(target, file)));
  const text = readFileSync(target, 'utf8');
  // One topology file (wdc_wep2.json) carries `// …` comments after values, which JSON does not allow.
  const values = target.endsWith('.json') ? [JSON.parse(text.replace(/,\s*\/\/[^\n]*/g, ',')) as unknown] : parseAllDocuments(text).map((document) => document.toJS() as unknown);
  return values.flatMap((value) => (Array.isArray(value) ? value : [value])).filter(isRecord);
}

function flattenLists(document: Record<string, unknown>): Array<Record<string, unknown>> {
  if (!Array.isArray(document.items)) return [document];
  const itemKind = typeof document.kind === 'string' && document.kind.endsWith('List') && document.kind !== 'List' ? document.kind.slice(0, -4) : undefined;
  return document.items.filter(isRecord).map((item) => ({ ...(itemKind ? { kind: itemKind, apiVersion: document.apiVersion } : {}), ...item }));
}

/**
 * Calico WorkloadEndpoints describe pods; the engine reads Pods, so each one becomes the Pod it stands for:
 * its labels without Calico's own, its service account and its named ports. HostEndpoints are left out.
 */
function workloadEndpointToPod(document: Record<string, unknown>): Record<string, unknown> | undefined {
  if (document.kind === 'HostEndpoint') return undefined;
  if (document.kind !== 'WorkloadEndpoint') return document;
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const spec = isRecord(document.spec) ? document.spec : {};
  const labels = Object.fromEntries(Object.entries(isRecord(metadata.labels) ? metadata.labels : {}).filter(([key]) => !key.startsWith('projectcalico.org/')));
  const serviceAccount = isRecord(metadata.labels) ? metadata.labels['projectcalico.org/serviceaccount'] : undefined;
  const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord).map((port) => ({ name: port.name, containerPort: port.port, protocol: port.protocol })) : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: String(spec.pod), namespace: metadata.namespace, labels, ...(typeof metadata.generateName === 'string' ? { generateName: metadata.generateName } : {}) },
    spec: { containers: [{ name: 'main', ports }], ...(typeof serviceAccount === 'string' ? { serviceAccountName: serviceAccount } : {}) },
  };
}

// --- expected connectivity maps ----------------------------------------------------------------------

/**
 * Expected rules per configuration. Outputs of configurations with Istio policies come in two sections,
 * `For connections of type TCP` and `non-TCP`; their lines are kept with a marker of the section, because
 * `All connections` in a section means all of that section's protocols.
 */
function parseExpectedOutput(text: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  let marker = '';
  for (const line of text.split('\n')) {
    const header = /^(?:For connections of type (TCP|non-TCP), )?final fw rules for query: [^,]+, config: (.+):$/.exec(line.trim());
    if (header) {
      marker = header[1] ? `[${header[1]}] ` : '';
      current = sections.get(header[2] as string);
      if (!current) {
        current = [];
        sections.set(header[2] as string, current);
      }
      continue;
    }
    if (line.trim() === '') continue;
    current?.push(`${marker}${line.trim()}`);
  }
  return sections;
}

interface FwRule {
  source: { pods?: (pod: PodEndpoint) => boolean; addresses?: AddressSet };
  destination: { pods?: (pod: PodEndpoint) => boolean; addresses?: AddressSet };
  connections: ConnSet;
}

function parseFwRule(marked: string, pods: PodEndpoint[]): FwRule {
  const section = /^\[(TCP|non-TCP)\] /.exec(marked)?.[1];
  const line = section ? marked.slice(section.length + 3) : marked;
  const match = /^(?:src_ns: \[(?<srcNs>[^\]]*)\] src_pods: \[(?<srcPods>.*?)\]|src: (?<src>\S+)) (?:dst_ns: \[(?<dstNs>[^\]]*)\] dst_pods: \[(?<dstPods>.*?)\]|dst: (?<dst>\S+)) conn: (?<conn>.+)$/.exec(line);
  if (!match?.groups) throw new Error(`unrecognised firewall rule: ${line}`);
  const groups = match.groups;
  const side = (namespaces?: string, selection?: string, addresses?: string) =>
    addresses !== undefined ? { addresses: parseAddresses(addresses) } : { pods: podMatcher((namespaces as string).split(','), selection as string, pods) };
  return {
    source: side(groups.srcNs, groups.srcPods, groups.src),
    destination: side(groups.dstNs, groups.dstPods, groups.dst),
    connections: section === undefined ? parseConnections(groups.conn as string) : parseConnections(groups.conn as string).intersect(section === 'TCP' ? ConnSet.protocol(PROTOCOL.TCP) : ConnSet.ALL.subtract(ConnSet.protocol(PROTOCOL.TCP))),
  };
}

function parseAddresses(text: string): AddressSet {
  return AddressSet.of(
    text.split(',').map((part) => {
      const range = /^(.+)-(.+)$/.exec(part);
      if (range && !part.includes('/')) {
        const from = parseCidr(range[1] as string);
        const to = parseCidr(range[2] as string);
        return { family: from.family, from: from.from, to: to.to };
      }
      return parseCidr(part);
    }),
  );
}

/** `*`, owner or pod names, or label expressions such as `app=x`, `!has(app) or (has(app) and app!=y)`, `app in (a,b)`. */
function podMatcher(namespaces: string[], selection: string, pods: PodEndpoint[]): (pod: PodEndpoint) => boolean {
  const inNamespace = (pod: PodEndpoint) => namespaces.includes(pod.namespace);
  if (selection === '*') return inNamespace;
  const looksLikeExpression = /[=()!]| in /.test(selection) && !/^[\w.-]+(, [\w.-]+)*$/.test(selection);
  if (looksLikeExpression) {
    const node = parseCalicoSelector(toCalicoSelector(selection));
    return (pod) => inNamespace(pod) && matchesCalicoSelector(node, { labels: pod.pod.metadata.labels });
  }
  const names = new Set(selection.split(',').map((name) => name.trim()));
  for (const name of names) if (!pods.some((pod) => ownerName(pod) === name || pod.name === name)) throw new Error(`firewall rule names unknown pods ${name}`);
  return (pod) => inNamespace(pod) && (names.has(ownerName(pod)) || names.has(pod.name));
}

function toCalicoSelector(expression: string): string {
  return expression
    .replace(/\band\b/g, '&&')
    .replace(/\bor\b/g, '||')
    .replace(/([\w./-]+) not in \(([^)]*)\)/g, (_all, key: string, values: string) => `${key} not in {${values.split(',').map((value) => `'${value.trim()}'`).join(',')}}`)
    .replace(/([\w./-]+) in \(([^)]*)\)/g, (_all, key: string, values: string) => `${key} in {${values.split(',').map((value) => `'${value.trim()}'`).join(',')}}`)
    .replace(/([\w./-]+)!=([\w./-]+)/g, "$1 != '$2'")
    .replace(/([\w./-]+)=([\w./-]+)/g, "$1 == '$2'");
}

function ownerName(pod: PodEndpoint): string {
  const generateName = (pod.pod.metadata as { generateName?: string }).generateName;
  const owner = pod.pod.metadata.ownerReferences?.[0]?.name;
  if (owner) return owner;
  if (generateName) return generateName.replace(/-$/, '');
  return pod.name;
}

/**
 * A connection set of the expected output. HTTP properties (hosts, paths, methods) restrict requests, not
 * connections: the engine decides whether a connection may be opened, so the test compares the protocols and
 * ports of such a line and leaves its HTTP properties out, and the engine reports the HTTP conditions as not
 * modelled. network-config-analyzer prints no line whose HTTP properties are empty, so every line kept here
 * allows some request.
 */
function parseConnections(text: string): ConnSet {
  if (text === 'All connections') return ConnSet.ALL;
  const body = /^\{(.*)\}$/.exec(text)?.[1];
  if (body === undefined) throw new Error(`unrecognised connections ${text}`);
  const properties = new Map(body.split(/,(?=[a-z_]+:)/).map((part) => [part.slice(0, part.indexOf(':')), part.slice(part.indexOf(':') + 1)] as const));
  const unknown = [...properties.keys()].filter((key) => !['protocols', 'dst_ports', 'hosts', 'paths', 'methods'].includes(key));
  if (unknown.length > 0) throw new Error(`connections ${text} use properties the test does not read: ${unknown.join(', ')}`);
  const protocolsText = properties.get('protocols');
  const portsText = properties.get('dst_ports');
  const protocols = protocolsText ? protocolsText.split(',').map((name) => (PROTOCOL as Record<string, number>)[name] ?? Number(name)) : [PROTOCOL.TCP, PROTOCOL.UDP, PROTOCOL.SCTP];
  let result = ConnSet.NONE;
  for (const protocol of protocols) {
    if (!portsText) {
      result = result.union(ConnSet.protocol(protocol));
      continue;
    }
    for (const part of portsText.split(',')) {
      const [from, to] = part.split('-').map(Number);
      result = result.union(ConnSet.range(protocol, from as number, to ?? (from as number)));
    }
  }
  return result;
}

function compareConnectivity(scheme: Scheme, reference: string, lines: string[]): void {
  const { model, pods } = loadConfig(scheme, reference);
  const rules = lines.map((line) => parseFwRule(line, pods));
  const ipv6 = lines.some((line) => line.includes('::'));
  const expectedSets = rules.flatMap((rule) => [rule.source.addresses, rule.destination.addresses]).filter((set): set is AddressSet => set !== undefined);
  const pieces = partition([...expectedSets, ...model.externalPieces('ingress').map((range) => AddressSet.of([range])), ...model.externalPieces('egress').map((range) => AddressSet.of([range]))]).filter((piece) => ipv6 || piece.family === 4);

  const expectedBetween = (source: PodEndpoint | AddressRange, destination: PodEndpoint | AddressRange): ConnSet => {
    let result = ConnSet.NONE;
    for (const rule of rules) {
      if (sideMatches(rule.source, source) && sideMatches(rule.destination, destination)) result = result.union(rule.connections);
    }
    return result;
  };

  const differences: string[] = [];
  const compare = (label: string, actual: ConnSet, expected: ConnSet) => {
    if (!actual.equals(expected)) differences.push(`${label}: engine ${actual.format()}, expected ${expected.format()}`);
  };
  for (const source of pods) {
    for (const destination of pods) {
      if (source === destination) continue;
      compare(`${source.namespace}/${source.name} => ${destination.namespace}/${destination.name}`, model.connections({ kind: 'pod', pod: source }, { kind: 'pod', pod: destination }), expectedBetween(source, destination));
    }
    for (const range of pieces) {
      compare(`${source.namespace}/${source.name} => ${range.from}-${range.to}`, model.connections({ kind: 'pod', pod: source }, { kind: 'external', range }), expectedBetween(source, range));
      compare(`${range.from}-${range.to} => ${source.namespace}/${source.name}`, model.connections({ kind: 'external', range }, { kind: 'pod', pod: source }), expectedBetween(range, source));
    }
  }
  expect(differences.slice(0, 10)).toEqual([]);
}

function sideMatches(side: FwRule['source'], endpoint: PodEndpoint | AddressRange): boolean {
  if ('family' in endpoint) return side.addresses?.containsRange(endpoint) ?? false;
  return side.pods?.(endpoint) ?? false;
}

// --- permits and forbids -----------------------------------------------------------------------------

/**
 * Counts the configurations after the first whose explicitly allowed connections the first does not allow
 * (permits) or also allows (forbids).
 */
function countPermitsOrForbids(scheme: Scheme, kind: 'permits' | 'forbids', references: string[]): number {
  const [first, ...others] = references.map((reference) => loadConfig(scheme, reference));
  let count = 0;
  for (const other of others) {
    const pieces = partition([...(first as Config).model.externalPieces('ingress'), ...(first as Config).model.externalPieces('egress'), ...other.model.externalPieces('ingress'), ...other.model.externalPieces('egress')].map((range) => AddressSet.of([range]))).filter((piece) => piece.family === 4);
    let violated = false;
    for (const pair of peerPairs(other, pieces)) {
      const explicit = explicitlyAllowed(other, pair.source, pair.destination);
      if (explicit.isEmpty()) continue;
      const allowed = allowedIn(first as Config, pair.source, pair.destination);
      if (kind === 'permits' ? !allowed.contains(explicit) : !allowed.intersect(explicit).isEmpty()) {
        violated = true;
        break;
      }
    }
    if (violated) count++;
  }
  return count;
}

type Side = { kind: 'pod'; key: string } | { kind: 'external'; range: AddressRange };

function* peerPairs(config: Config, pieces: AddressRange[]): Generator<{ source: Side; destination: Side }> {
  const pods: Side[] = config.pods.map((pod) => ({ kind: 'pod', key: `${pod.namespace}/${pod.name}` }));
  const external: Side[] = pieces.map((range) => ({ kind: 'external', range }));
  for (const source of pods) {
    for (const destination of pods) if (source !== destination) yield { source, destination };
    for (const destination of external) {
      yield { source, destination };
      yield { source: destination, destination: source };
    }
  }
}

function endpoint(config: Config, side: Side) {
  if (side.kind === 'external') return { kind: 'external' as const, range: side.range };
  const [namespace, name] = side.key.split('/') as [string, string];
  return { kind: 'pod' as const, pod: config.model.pod(namespace, name) as PodEndpoint };
}

function allowedIn(config: Config, source: Side, destination: Side): ConnSet {
  return config.model.connections(endpoint(config, source), endpoint(config, destination));
}

/**
 * The connections some layer allows explicitly, that every layer allows: network-config-analyzer's captured
 * connections, the union of each layer's captured connections intersected with what all layers allow.
 */
function explicitlyAllowed(config: Config, source: Side, destination: Side): ConnSet {
  const layers = config.model.layers(endpoint(config, source), endpoint(config, destination));
  const allowed = layers.reduce((set, layer) => set.intersect(layer.allowed), ConnSet.ALL);
  return layers.reduce((set, layer) => set.union(layer.captured), ConnSet.NONE).intersect(allowed);
}
