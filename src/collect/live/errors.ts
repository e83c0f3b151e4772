import type { KindStatus } from './types.js';

/**
 * Raised when an API cannot be used at all: the endpoint does not respond, the host name does not
 * resolve, or the credentials are missing, expired or rejected. Collection stops, because every further
 * call would fail the same way.
 */
export class LiveCollectionError extends Error {}

/** Node's codes for a connection that could not be made or was dropped. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

/** AWS error codes that mean the credentials themselves are unusable, whatever the action. */
const AWS_CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'AuthFailure',
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'InvalidSignatureException',
  'TokenRefreshRequired',
]);

/** AWS error codes of a denied action: EC2 returns UnauthorizedOperation, ELBv2 and EKS AccessDenied(Exception). */
const AWS_DENIED_ERRORS = new Set(['UnauthorizedOperation', 'AccessDenied', 'AccessDeniedException']);

export function networkCodeOf(error: unknown): string | undefined {
  let current: unknown = error;
  // node-fetch and the SDK wrap the socket error, so the code may be one or two levels down.
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const record = current as { code?: unknown; errno?: unknown; cause?: unknown };
    if (typeof record.code === 'string' && NETWORK_CODES.has(record.code)) return record.code;
    if (typeof record.errno === 'string' && NETWORK_CODES.has(record.errno)) return record.errno;
    current = record.cause;
  }
  return undefined;
}

export function isAbortOrTimeout(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError' || name === 'RequestTimeout';
}

/** True when an AWS SDK error means no call can succeed: no connection, or unusable credentials. */
export function isFatalAwsError(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return networkCodeOf(error) !== undefined || isAbortOrTimeout(error) || (typeof name === 'string' && AWS_CREDENTIAL_ERRORS.has(name));
}

/** Sorts a failed AWS call into the manifest's statuses, with the error as the service returned it. */
export function classifyAwsError(error: unknown): { status: Exclude<KindStatus, 'collected'>; message: string } {
  const record = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = record.name ?? 'Error';
  const message = `${name}: ${firstLine(record.message ?? String(error))}`;
  if (AWS_DENIED_ERRORS.has(name) || record.$metadata?.httpStatusCode === 403) return { status: 'forbidden', message };
  // A resource deleted between the list and the per-resource call: LoadBalancerNotFound, InvalidPrefixListID.NotFound.
  if (/NotFound(Exception)?$/.test(name) || record.$metadata?.httpStatusCode === 404) return { status: 'not-found', message };
  return { status: 'failed', message };
}

export function describeError(error: unknown): string {
  const code = networkCodeOf(error);
  const message = firstLine((error as { message?: string } | null)?.message ?? String(error));
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

export function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
