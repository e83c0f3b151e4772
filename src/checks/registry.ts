import { workloadMissingResources } from './stability/workload-missing-resources.js';
import { workloadOomKilled } from './stability/workload-oom-killed.js';
import { workloadProbeFailures } from './stability/workload-probe-failures.js';
import { workloadRestarts } from './stability/workload-restarts.js';
import type { Check } from './types.js';

// Every check Rampart runs, in report order. A new check is one file under its area's folder plus one
// line here; the metadata schema test covers it automatically.
export const CHECKS: Check[] = [workloadRestarts, workloadOomKilled, workloadProbeFailures, workloadMissingResources];
