import { z } from 'zod';

// Settings that change what counts as a finding. Defaults are documented in docs/checks.md; a
// `.rampart.yaml` file (or `--config FILE`) overrides them.

export const stabilityThresholdsSchema = z.strictObject({
  /** Restarts of one container before it is reported, when the last restart is recent. */
  minRestarts: z.number().int().min(1).default(5),
  /** Restarts older than this many hours before the snapshot time are history, not a finding. */
  recentHours: z.number().positive().default(168),
  /** Restart count at or above which a restarting workload is medium rather than low severity. */
  highRestarts: z.number().int().min(1).default(50),
  /** Probe failures (summed over a workload's events) before readiness or startup failures are reported. */
  minProbeFailures: z.number().int().min(1).default(10),
  /**
   * Liveness probe start, in seconds after the container starts, below which a restarting container
   * without a startupProbe is reported as possibly killed before it finished starting.
   */
  minLivenessInitialDelaySeconds: z.number().int().min(0).default(10),
});

/** A date (`2027-03-31`, the start of that day in UTC) or an ISO 8601 time with a zone (`2027-03-31T12:00:00Z`). */
const expirySchema = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected a date such as 2027-03-31 or a time such as 2027-03-31T12:00:00Z',
});

const REASON_REQUIRED = 'a suppression needs a reason: say why the finding is accepted';

/**
 * An accepted finding. Every selector given must match: `id` is a finding's stable id, `check` a check id,
 * `resource` a pattern on a resource description such as `SecurityGroup sg-0abc (eks-cluster-sg)`, where `*`
 * matches any characters and `?` one character. See docs/configuration.md.
 */
export const suppressionSchema = z
  .strictObject({
    id: z.string().regex(/^[0-9a-f]{16}$/, 'expected a 16-character finding id as the JSON report prints it').optional(),
    check: z.string().min(1).optional(),
    resource: z.string().min(1).optional(),
    reason: z.string({ error: REASON_REQUIRED }).trim().min(1, REASON_REQUIRED),
    expires: expirySchema.optional(),
  })
  .refine((value) => value.id !== undefined || value.check !== undefined || value.resource !== undefined, {
    message: 'a suppression needs at least one of id, check or resource',
  });

export const configSchema = z.strictObject({
  stability: stabilityThresholdsSchema.default(stabilityThresholdsSchema.parse({})),
  suppressions: z.array(suppressionSchema).default([]),
});

export type RampartConfig = z.infer<typeof configSchema>;
export type StabilityThresholds = z.infer<typeof stabilityThresholdsSchema>;
export type Suppression = z.infer<typeof suppressionSchema>;

export const DEFAULT_CONFIG: RampartConfig = configSchema.parse({});
