import * as ec2 from '@aws-sdk/client-ec2';
import * as eks from '@aws-sdk/client-eks';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as sts from '@aws-sdk/client-sts';
// NOTE: @smithy/core is a dependency of the AWS SDK clients, not of Rampart. The tests read the SDK's own
// service models through it, so that the recorded responses follow the real wire formats member by member.
import { NormalizedSchema } from '@smithy/core/schema';

// Encoders from AWS CLI JSON (what the example snapshot holds) to the wire formats the services send:
// EC2 Query XML, awsQuery XML (ELBv2, STS) and restJson1 (EKS). They walk the service models that ship
// with the SDK, so every element name, list wrapper and timestamp format is the one the SDK parses.

export type AwsService = 'ec2' | 'elbv2' | 'sts' | 'eks';

const MODULES: Record<AwsService, Record<string, unknown>> = { ec2, elbv2, sts, eks } as unknown as Record<AwsService, Record<string, unknown>>;

export const XML_NAMESPACES: Record<'ec2' | 'elbv2' | 'sts', string> = {
  ec2: 'http://ec2.amazonaws.com/doc/2016-11-15/',
  elbv2: 'http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
};

/** Returns the output schema of an operation, from the schema objects the SDK client exports (`DescribeVpcs$`). */
export function outputSchema(service: AwsService, operation: string): NormalizedSchema {
  const op = MODULES[service][`${operation}$`] as unknown[] | undefined;
  if (!op) throw new Error(`the ${service} client has no operation ${operation}`);
  return NormalizedSchema.of(op[5] as Parameters<typeof NormalizedSchema.of>[0]);
}

/** Field paths of the input that the service model does not define; the encoders drop them. */
export interface Unknown {
  paths: string[];
}

/** Encodes the body of a successful EC2 Query API response. */
export function ec2Response(operation: string, output: Record<string, unknown>, unknown?: Unknown): string {
  const body = xmlMembers(outputSchema('ec2', operation), output, '$', unknown);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${XML_NAMESPACES.ec2}"><requestId>${requestId(operation)}</requestId>${body}</${operation}Response>`;
}

/** Encodes the body of a successful awsQuery response (ELBv2, STS): members inside `<OperationResult>`. */
export function queryResponse(service: 'elbv2' | 'sts', operation: string, output: Record<string, unknown>, unknown?: Unknown): string {
  const body = xmlMembers(outputSchema(service, operation), output, '$', unknown);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<${operation}Response xmlns="${XML_NAMESPACES[service]}"><${operation}Result>${body}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${requestId(operation)}</RequestId></ResponseMetadata></${operation}Response>`
  );
}

/** Encodes the JSON body of a successful restJson1 response (EKS): timestamps as epoch seconds. */
export function restJsonBody(operation: string, output: Record<string, unknown>, unknown?: Unknown): string {
  return JSON.stringify(jsonValue(outputSchema('eks', operation), output, '$', unknown));
}

/** Encodes an EC2 error response, as EC2 sends it with a 4xx or 5xx status. */
export function ec2Error(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escape(message)}</Message></Error></Errors><RequestID>${requestId(code)}</RequestID></Response>`;
}

/** Encodes an awsQuery error response (ELBv2, STS). */
export function queryError(service: 'elbv2' | 'sts', code: string, message: string, type: 'Sender' | 'Receiver' = 'Sender'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="${XML_NAMESPACES[service]}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>${requestId(code)}</RequestId></ErrorResponse>`;
}

// --- XML ------------------------------------------------------------------------------------------

function xmlMembers(schema: NormalizedSchema, value: Record<string, unknown>, path: string, unknown?: Unknown): string {
  const known = new Set<string>();
  let xml = '';
  for (const [memberName, member] of schema.structIterator()) {
    known.add(memberName);
    const memberValue = value[memberName];
    if (memberValue === undefined || memberValue === null) continue;
    const element = member.getMemberTraits().xmlName ?? memberName;
    const memberPath = `${path}.${memberName}`;
    if (member.isListSchema() && member.getMergedTraits().xmlFlattened) {
      for (const [index, item] of (memberValue as unknown[]).entries()) xml += `<${element}>${xmlValue(member.getValueSchema(), item, `${memberPath}[${index}]`, unknown)}</${element}>`;
      continue;
    }
    xml += `<${element}>${xmlValue(member, memberValue, memberPath, unknown)}</${element}>`;
  }
  reportUnknown(value, known, path, unknown);
  return xml;
}

function xmlValue(schema: NormalizedSchema, value: unknown, path: string, unknown?: Unknown): string {
  if (schema.isListSchema()) {
    const item = schema.getValueSchema();
    const element = item.getMergedTraits().xmlName ?? 'member';
    return (value as unknown[]).map((entry, index) => `<${element}>${xmlValue(item, entry, `${path}[${index}]`, unknown)}</${element}>`).join('');
  }
  if (schema.isMapSchema()) {
    const keyName = schema.getKeySchema().getMergedTraits().xmlName ?? 'key';
    const valueName = schema.getValueSchema().getMergedTraits().xmlName ?? 'value';
    return Object.entries(value as Record<string, unknown>)
      .map(([key, entry]) => `<entry><${keyName}>${escape(key)}</${keyName}><${valueName}>${xmlValue(schema.getValueSchema(), entry, `${path}.${key}`, unknown)}</${valueName}></entry>`)
      .join('');
  }
  if (schema.isStructSchema()) return xmlMembers(schema, value as Record<string, unknown>, path, unknown);
  if (schema.isTimestampSchema()) return toDate(value, path).toISOString();
  return escape(String(value));
}

// --- JSON -----------------------------------------------------------------------------------------

function jsonValue(schema: NormalizedSchema, value: unknown, path: string, unknown?: Unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (schema.isListSchema()) return (value as unknown[]).map((entry, index) => jsonValue(schema.getValueSchema(), entry, `${path}[${index}]`, unknown));
  if (schema.isMapSchema()) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, entry]) => [key, jsonValue(schema.getValueSchema(), entry, `${path}.${key}`, unknown)]));
  }
  if (schema.isStructSchema()) {
    const result: Record<string, unknown> = {};
    const known = new Set<string>();
    for (const [memberName, member] of schema.structIterator()) {
      known.add(memberName);
      const encoded = jsonValue(member, (value as Record<string, unknown>)[memberName], `${path}.${memberName}`, unknown);
      if (encoded !== undefined) result[member.getMergedTraits().jsonName ?? memberName] = encoded;
    }
    reportUnknown(value as Record<string, unknown>, known, path, unknown);
    return result;
  }
  // restJson1 sends timestamps in a body as epoch seconds unless the model names another format.
  if (schema.isTimestampSchema()) return toDate(value, path).getTime() / 1000;
  return value;
}

// --- helpers --------------------------------------------------------------------------------------

function reportUnknown(value: Record<string, unknown>, known: Set<string>, path: string, unknown?: Unknown): void {
  if (!unknown) return;
  for (const key of Object.keys(value)) if (!known.has(key)) unknown.paths.push(`${path}.${key}`);
}

function toDate(value: unknown, path: string): Date {
  const date = new Date(value as string);
  if (Number.isNaN(date.getTime())) throw new Error(`${path}: ${String(value)} is not a timestamp`);
  return date;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function requestId(seed: string): string {
  // A fixed id per operation keeps responses identical from run to run.
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  const hex = hash.toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}
