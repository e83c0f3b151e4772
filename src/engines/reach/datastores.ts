import type * as m from '../../inventory/model.js';
import type { PodEndpoint, WorkloadRef } from './endpoints.js';
import { parseProtocol } from './ports.js';

// Datastores recognised by container image, by the app.kubernetes.io labels Helm charts and operators set,
// and by their well-known ports. A port alone counts only for ports no common web stack uses.

export interface DatastoreKind {
  id: string;
  name: string;
  /** Image repository names (last path segment, without tag) that run this datastore. */
  images: RegExp;
  /** Values of app.kubernetes.io/name (or the `app` label) that Helm charts give it. */
  labels: RegExp;
  /** Client ports; the first is the main one. */
  ports: number[];
  /** Whether a listening port alone identifies it (true only for ports other software rarely uses). */
  portIsDistinctive: boolean;
}

export const DATASTORE_KINDS: DatastoreKind[] = [
  { id: 'postgresql', name: 'PostgreSQL', images: /^(postgres|postgresql|postgresql-repmgr|postgis|timescaledb(-ha)?|spilo(-\d+)?|cloudnative-pg|crunchy-postgres)$/, labels: /^(postgres|postgresql|postgresql-ha|timescaledb)$/, ports: [5432], portIsDistinctive: true },
  { id: 'mysql', name: 'MySQL or MariaDB', images: /^(mysql|mariadb|percona-server|percona-xtradb-cluster|mysql-server)$/, labels: /^(mysql|mariadb|mariadb-galera|percona-xtradb-cluster)$/, ports: [3306], portIsDistinctive: true },
  { id: 'mongodb', name: 'MongoDB', images: /^(mongo|mongodb|mongodb-community-server|percona-server-mongodb)$/, labels: /^(mongodb|mongodb-sharded|mongo)$/, ports: [27017], portIsDistinctive: true },
  { id: 'redis', name: 'Redis or Valkey', images: /^(redis|redis-stack-server|redis-cluster|valkey|keydb)$/, labels: /^(redis|redis-cluster|valkey|keydb)$/, ports: [6379], portIsDistinctive: true },
  { id: 'minio', name: 'MinIO (S3-compatible object store)', images: /^(minio|seaweedfs|garage|ceph-rgw|localstack)$/, labels: /^(minio|seaweedfs|garage)$/, ports: [9000], portIsDistinctive: false },
  { id: 'elasticsearch', name: 'Elasticsearch or OpenSearch', images: /^(elasticsearch|opensearch)$/, labels: /^(elasticsearch|opensearch)$/, ports: [9200, 9300], portIsDistinctive: true },
  { id: 'rabbitmq', name: 'RabbitMQ', images: /^rabbitmq$/, labels: /^rabbitmq$/, ports: [5672], portIsDistinctive: true },
  { id: 'kafka', name: 'Kafka', images: /^(kafka|cp-kafka|kafka-native)$/, labels: /^kafka$/, ports: [9092], portIsDistinctive: true },
  { id: 'etcd', name: 'etcd', images: /^etcd$/, labels: /^etcd$/, ports: [2379], portIsDistinctive: true },
  { id: 'clickhouse', name: 'ClickHouse', images: /^(clickhouse|clickhouse-server)$/, labels: /^clickhouse$/, ports: [8123, 9000], portIsDistinctive: false },
  { id: 'cassandra', name: 'Cassandra or ScyllaDB', images: /^(cassandra|scylla)$/, labels: /^(cassandra|scylla|scylladb)$/, ports: [9042], portIsDistinctive: true },
  { id: 'cockroachdb', name: 'CockroachDB', images: /^cockroach$/, labels: /^cockroachdb$/, ports: [26257], portIsDistinctive: true },
  { id: 'memcached', name: 'Memcached', images: /^memcached$/, labels: /^memcached$/, ports: [11211], portIsDistinctive: true },
  { id: 'neo4j', name: 'Neo4j', images: /^neo4j$/, labels: /^neo4j$/, ports: [7687], portIsDistinctive: true },
  { id: 'couchdb', name: 'CouchDB', images: /^couchdb$/, labels: /^couchdb$/, ports: [5984], portIsDistinctive: true },
  { id: 'influxdb', name: 'InfluxDB', images: /^influxdb$/, labels: /^influxdb2?$/, ports: [8086], portIsDistinctive: false },
];

/** A pod running a datastore, with the ports clients use and what identified it. */
export interface DatastorePod {
  kind: DatastoreKind;
  /** Sentences such as `image bitnami/postgresql:16.4.0`. */
  evidence: string[];
  ports: Array<{ port: number; protocol: number; name?: string }>;
}

// Models built for proposed fixes share their pods, so each pod is recognised once.
const detected = new WeakMap<PodEndpoint, DatastorePod | null>();

/** Recognises the datastore a pod runs, or returns undefined. Backup and metrics sidecars are not datastores. */
export function detectDatastore(pod: PodEndpoint): DatastorePod | undefined {
  const cached = detected.get(pod);
  if (cached !== undefined) return cached ?? undefined;
  const result = recognise(pod);
  detected.set(pod, result ?? null);
  return result;
}

function recognise(pod: PodEndpoint): DatastorePod | undefined {
  const labels = pod.pod.metadata.labels;
  const component = labels['app.kubernetes.io/component'] ?? '';
  // Chart components that share the datastore's name label but serve clients no data.
  if (/^(backup|metrics|exporter|init|job|hook)/.test(component)) return undefined;
  const labelName = labels['app.kubernetes.io/name'] ?? labels.app ?? '';

  for (const kind of DATASTORE_KINDS) {
    const evidence: string[] = [];
    let container: m.SafeContainer | undefined;
    for (const candidate of pod.pod.spec.containers) {
      if (candidate.image && kind.images.test(imageName(candidate.image))) {
        evidence.push(`image ${candidate.image}`);
        container ??= candidate;
      }
    }
    if (kind.labels.test(labelName)) evidence.push(`label ${labels['app.kubernetes.io/name'] !== undefined ? 'app.kubernetes.io/name' : 'app'}=${labelName}`);
    const listening = pod.pod.spec.containers.flatMap((candidate) => (candidate.ports ?? []).map((port) => ({ container: candidate, port })));
    const wellKnown = listening.filter((entry) => kind.ports.includes(entry.port.containerPort));
    if (evidence.length === 0 && kind.portIsDistinctive && wellKnown.length > 0 && applicationContainers(pod.pod.spec.containers).length === 1) {
      evidence.push(`port ${wellKnown[0]?.port.containerPort}`);
    }
    if (evidence.length === 0) continue;
    if (wellKnown.length > 0) evidence.push(`port ${wellKnown.map((entry) => entry.port.containerPort).join(', ')}`);

    // Client ports: the well-known ones it listens on, else every port of the datastore container, else the default.
    const fromContainer = (container?.ports ?? []).map((port) => ({ port: port.containerPort, protocol: parseProtocol(port.protocol ?? 'TCP') ?? 6, ...(port.name ? { name: port.name } : {}) }));
    const ports = wellKnown.length > 0
      ? wellKnown.map((entry) => ({ port: entry.port.containerPort, protocol: parseProtocol(entry.port.protocol ?? 'TCP') ?? 6, ...(entry.port.name ? { name: entry.port.name } : {}) }))
      : fromContainer.length > 0 ? fromContainer : [{ port: kind.ports[0] as number, protocol: 6 }];
    return { kind, evidence: [...new Set(evidence)], ports: uniquePorts(ports) };
  }
  return undefined;
}

// Service mesh proxies that injection adds beside the application container.
const MESH_PROXIES = new Set(['istio-proxy', 'linkerd-proxy']);

/** Returns the containers other than injected mesh proxies, so that a sidecar does not hide a one-container datastore. */
function applicationContainers(containers: m.SafeContainer[]): m.SafeContainer[] {
  return containers.filter((container) => !MESH_PROXIES.has(container.name));
}

/** `registry/org/name:tag@digest` → `name`. */
export function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] as string;
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  return last.split(':')[0]?.toLowerCase() ?? last;
}

export function workloadKey(workload: WorkloadRef): string {
  return `${workload.kind}/${workload.namespace}/${workload.name}`;
}

function uniquePorts(ports: Array<{ port: number; protocol: number; name?: string }>): Array<{ port: number; protocol: number; name?: string }> {
  const seen = new Map<string, { port: number; protocol: number; name?: string }>();
  for (const port of ports) if (!seen.has(`${port.protocol}/${port.port}`)) seen.set(`${port.protocol}/${port.port}`, port);
  return [...seen.values()].sort((a, b) => a.port - b.port);
}
