import { describe, expect, it } from 'vitest';
import { createLineLocator, lineOfPath, parseJsonPath } from '../../src/report/locate.js';

const json = `{
    "SecurityGroups": [
        {
            "GroupId": "sg-0a1b"
        },
        {
            "GroupId": "sg-0c2d",
            "IpPermissions": [
                {
                    "FromPort": 31139
                }
            ]
        }
    ]
}
`;

const yaml = `apiVersion: v1
kind: Namespace
metadata:
  name: a
---
apiVersion: v1
kind: List
items:
  - kind: Pod
    metadata:
      name: first
  - kind: Pod
    metadata:
      "odd key": 1
      name: second
`;

describe('parseJsonPath', () => {
  it('splits keys and indexes', () => {
    expect(parseJsonPath('$.items[3].spec')).toEqual(['items', 3, 'spec']);
  });

  it('reads quoted keys', () => {
    expect(parseJsonPath('$.metadata["odd key"]')).toEqual(['metadata', 'odd key']);
  });

  it('returns the root as no segments', () => {
    expect(parseJsonPath('$')).toEqual([]);
  });

  it('rejects other syntax', () => {
    expect(parseJsonPath('items[0]')).toBeUndefined();
    expect(parseJsonPath('$..items')).toBeUndefined();
  });
});

describe('lineOfPath', () => {
  it('finds an object in JSON', () => {
    expect(lineOfPath(json, undefined, '$.SecurityGroups[1]')).toBe(6);
    expect(lineOfPath(json, undefined, '$.SecurityGroups[1].IpPermissions[0]')).toBe(9);
  });

  it('finds a scalar in JSON', () => {
    expect(lineOfPath(json, undefined, '$.SecurityGroups[0].GroupId')).toBe(4);
  });

  it('finds an object in a later YAML document', () => {
    expect(lineOfPath(yaml, 1, '$.items[1]')).toBe(12);
    expect(lineOfPath(yaml, 1, '$.items[1].metadata["odd key"]')).toBe(14);
  });

  it('returns undefined for a missing path', () => {
    expect(lineOfPath(json, undefined, '$.SecurityGroups[5]')).toBeUndefined();
    expect(lineOfPath(yaml, 4, '$')).toBeUndefined();
  });

  it('returns undefined for invalid text', () => {
    expect(lineOfPath('{"a": [', undefined, '$.a')).toBeUndefined();
  });
});

describe('createLineLocator', () => {
  it('reads each file once', () => {
    const reads: string[] = [];
    const lineOf = createLineLocator((file) => {
      reads.push(file);
      return file === 'sg.json' ? json : undefined;
    });
    expect(lineOf({ file: 'sg.json', path: '$.SecurityGroups[1]' })).toBe(6);
    expect(lineOf({ file: 'sg.json', path: '$.SecurityGroups[0]' })).toBe(3);
    expect(lineOf({ file: 'gone.json', path: '$' })).toBeUndefined();
    expect(lineOf({ file: 'gone.json', path: '$' })).toBeUndefined();
    expect(reads).toEqual(['sg.json', 'gone.json']);
  });
});
