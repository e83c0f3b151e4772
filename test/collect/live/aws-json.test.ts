import { describe, expect, it } from 'vitest';
import { cliTimestamp, toCliJson } from '../../../src/collect/live/aws-json.js';

describe('cliTimestamp', () => {
  // AWS CLI v2 prints `datetime.isoformat()` of a UTC time (aws-cli tests/functional/test_timeformat.py):
  // no fraction for whole seconds, six digits otherwise, and a +00:00 offset.
  it('prints whole seconds without a fraction', () => {
    expect(cliTimestamp(new Date('2022-11-15T10:48:59Z'))).toBe('2022-11-15T10:48:59+00:00');
  });

  it('prints milliseconds as six fraction digits', () => {
    expect(cliTimestamp(new Date('2025-03-10T11:02:17.418Z'))).toBe('2025-03-10T11:02:17.418000+00:00');
    expect(cliTimestamp(new Date('2025-03-10T11:02:17.004Z'))).toBe('2025-03-10T11:02:17.004000+00:00');
  });
});

describe('toCliJson', () => {
  it('drops $metadata and undefined members', () => {
    const output = { $metadata: { httpStatusCode: 200, requestId: 'x' }, Vpcs: [{ VpcId: 'vpc-1', Tags: [], Ipv6CidrBlockAssociationSet: undefined }] };
    expect(toCliJson(output)).toEqual({ Vpcs: [{ VpcId: 'vpc-1', Tags: [] }] });
  });

  it('converts nested dates', () => {
    const output = { cluster: { name: 'a', createdAt: new Date('2025-03-10T11:02:17.418Z'), tags: { team: 'x' } } };
    expect(toCliJson(output)).toEqual({ cluster: { name: 'a', createdAt: '2025-03-10T11:02:17.418000+00:00', tags: { team: 'x' } } });
  });

  it('keeps false, zero and empty strings', () => {
    expect(toCliJson({ IsDefault: false, FromPort: 0, Description: '' })).toEqual({ IsDefault: false, FromPort: 0, Description: '' });
  });
});
