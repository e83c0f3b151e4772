/**
 * Converts an AWS SDK v3 output to what `aws … --output json` prints. The SDK already uses the member
 * names the CLI prints (PascalCase for EC2 and ELBv2, camelCase for EKS). What differs: the SDK adds
 * `$metadata`, leaves absent members as undefined, and returns timestamps as Date objects.
 */
export function toCliJson(value: unknown): unknown {
  if (value instanceof Date) return cliTimestamp(value);
  if (Array.isArray(value)) return value.map(toCliJson);
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (key === '$metadata' || member === undefined) continue;
      result[key] = toCliJson(member);
    }
    return result;
  }
  return value;
}

/**
 * Formats a timestamp as AWS CLI v2 prints it by default (`cli_timestamp_format = iso8601`): Python's
 * `datetime.isoformat()` of a UTC time, so `2022-11-15T10:48:59+00:00`, with six fraction digits only
 * when the time has a fraction (`2020-06-22T16:39:54.404000+00:00`).
 */
export function cliTimestamp(date: Date): string {
  const seconds = date.toISOString().slice(0, 19);
  const milliseconds = date.getUTCMilliseconds();
  return milliseconds === 0 ? `${seconds}+00:00` : `${seconds}.${String(milliseconds).padStart(3, '0')}000+00:00`;
}
