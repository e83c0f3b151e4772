import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.js';
import { escapeHtml, jsonForScript } from '../../src/report/html/escape.js';
import { renderPathSvg } from '../../src/report/html/svg.js';
import { emptyReport, HOSTILE, hostileReport, sampleReport } from './fixtures.js';

function dataBlock(html: string): string {
  const match = /<script type="application\/json" id="rampart-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no data block');
  return match[1] as string;
}

describe('escapeHtml', () => {
  it('escapes markup characters', () => {
    expect(escapeHtml('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml(`"'&`)).toBe('&quot;&#39;&amp;');
  });

  it('leaves plain text alone', () => {
    expect(escapeHtml('sg-0a1b2c3d hie-prod-34/postgresql')).toBe('sg-0a1b2c3d hie-prod-34/postgresql');
  });

  it('escapes already escaped text again', () => {
    expect(escapeHtml('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
  });
});

describe('jsonForScript', () => {
  it('cannot close the script element', () => {
    const text = jsonForScript({ name: '</script><script>alert(1)</script><!--' });
    expect(text).not.toContain('<');
    expect(JSON.parse(text)).toEqual({ name: '</script><script>alert(1)</script><!--' });
  });

  it('escapes line and paragraph separators', () => {
    const text = jsonForScript({ name: 'a\u2028b\u2029c' });
    expect(text).toContain('\\u2028');
    expect(JSON.parse(text)).toEqual({ name: 'a\u2028b\u2029c' });
  });
});

describe('renderHtml', () => {
  it('embeds the report as JSON', () => {
    const report = sampleReport();
    expect(JSON.parse(dataBlock(renderHtml(report)))).toEqual(report);
  });

  it('renders hostile values as text', () => {
    const report = hostileReport();
    const html = renderHtml(report);
    const outsideData = html.replace(dataBlock(html), '');
    for (const payload of HOSTILE) {
      if (/[<>"'&]/.test(payload)) expect(outsideData, payload).not.toContain(payload);
    }
    expect(outsideData).toContain('&lt;img src=x onerror=&quot;window.__rampartPwned=1;alert(1)&quot;&gt;');
    expect(outsideData).toContain('&lt;/script&gt;&lt;script&gt;');
    // Exactly the two script elements the renderer writes, and one style element.
    expect(outsideData.match(/<script/g)).toHaveLength(2);
    expect(outsideData.match(/<style/g)).toHaveLength(1);
    expect(JSON.parse(dataBlock(html))).toEqual(report);
  });

  it('allows only its own script and style', () => {
    const html = renderHtml(sampleReport());
    const policy = (/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? '').replace(/&#39;/g, "'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? '';
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? '';
    const hash = (text: string) => `sha256-${createHash('sha256').update(text).digest('base64')}`;
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain(`script-src '${hash(script)}'`);
    expect(policy).toContain(`style-src '${hash(style)}'`);
  });

  it('references nothing outside the file', () => {
    const html = renderHtml(sampleReport());
    expect(html).not.toMatch(/\s(src|href)="(?!#)/);
    expect(html).not.toMatch(/url\(/);
    expect(html).not.toContain('@import');
  });

  it('draws one picture per path', () => {
    const report = sampleReport();
    const html = renderHtml(report);
    const paths = report.findings.reduce((sum, finding) => sum + (finding.paths?.length ?? 0), 0) + report.suppressed.reduce((sum, entry) => sum + (entry.finding.paths?.length ?? 0), 0);
    expect(paths).toBe(7);
    expect(html.match(/<svg class="path-picture"/g)).toHaveLength(paths);
    expect(html.match(/<svg class="heat-map"/g)).toHaveLength(1);
  });

  it('labels heat map columns with ports', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('Pod hutch/minio-0 tcp/9000');
  });

  it('groups heat map sources by namespace', () => {
    const html = renderHtml(sampleReport());
    const rows = [...html.matchAll(/<text class="heat-row"[^>]*><title>([^<]*)<\/title>/g)].map((match) => match[1]);
    expect(rows).toEqual(['10.65.0.0/20', 'namespace hie-prod-34', 'namespace hutch', 'namespace spicedb']);
    // Two hutch pods reach PostgreSQL: one cell with two paths.
    expect(html).toContain('namespace hutch → Pod hie-prod-34/hie-prod-34-postgresql-0 tcp/5432\n2 path(s) on tcp/5432');
  });

  it('says when there is no reachability data', () => {
    const html = renderHtml(emptyReport());
    expect(html).toContain('No reachability data');
    expect(html).not.toContain('<svg class="heat-map"');
    expect(html).toContain('No findings.');
  });

  it('counts and lists suppressed findings', () => {
    const html = renderHtml(sampleReport());
    expect(html).toContain('<span class="count">1</span>suppressed');
    expect(html).toContain('Suppressed findings (1)');
    expect(html).toContain('Import job retries by design.');
  });

  it('marks findings whose suppression expired', () => {
    const report = sampleReport({
      suppressions: [{ index: 0, check: 'workload-restarts', reason: 'Known restarts.', expires: '2026-01-01', status: 'expired', findings: ['4d5e6f7081920314'] }],
    });
    const html = renderHtml(report);
    expect(html).toContain('Reported again: suppression #1 (“Known restarts.”) expired on 2026-01-01.');
  });

  it('is deterministic', () => {
    expect(renderHtml(sampleReport())).toBe(renderHtml(sampleReport()));
  });
});

describe('renderPathSvg', () => {
  const path = sampleReport().findings[0]?.paths?.[0];
  if (!path) throw new Error('the sample report has no path');

  it('draws source, hops and target in order', () => {
    const svg = renderPathSvg(path);
    const ids = [...svg.matchAll(/<text class="node-id"[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]);
    expect(ids).toEqual(['0.0.0.0/0', 'sde-prod-nlb', 'sg-0a1b2c3d4e5f60718', 'acl-0f1e2d3c4b5a69788', '31139', 'hie-prod-34/ffcloud-serv…', 'hie-prod-34/ffcloud-serv…']);
  });

  it('keeps full text in tooltips', () => {
    const svg = renderPathSvg(path);
    expect(svg).toContain('<title>Pod\nhie-prod-34/ffcloud-service-7d9c-abcde\ntarget</title>');
  });

  it('colours hops by decision', () => {
    const tones = (decision: string) => /<g class="node tone-(\w+)"><title>h\n/.exec(renderPathSvg({ ...path, hops: [{ kind: 'h', id: 'x', decision }] }))?.[1];
    expect(tones('denied: no rule matches')).toBe('deny');
    expect(tones('deny')).toBe('deny');
    expect(tones('allowed by rule 100')).toBe('allow');
    expect(tones('no policy selects the pod, so it is allowed.')).toBe('allow');
    expect(tones('the source is outside the pods, so no egress policy applies to it.')).toBe('neutral');
    expect(tones('unresolved')).toBe('neutral');
  });

  it('does not draw the target twice', () => {
    const svg = renderPathSvg({ ...path, hops: [...path.hops, { kind: 'Pod', id: path.target.id, decision: 'listens on 8080' }] });
    expect(svg.match(/<g class="node /g)).toHaveLength(7);
  });

  it('wraps long paths into rows', () => {
    const svg = renderPathSvg(path);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
    const short = renderPathSvg({ ...path, hops: path.hops.slice(0, 1) });
    const shortHeight = Number(/height="(\d+)"/.exec(short)?.[1]);
    expect(height).toBeGreaterThan(shortHeight);
  });
});
