import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditInventory } from '../../src/cli/pipeline.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { loadDocuments, loadSnapshotFolder } from '../../src/inventory/load.js';
import { renderHtml } from '../../src/report/html.js';
import type { Report } from '../../src/report/report.js';
import { EXAMPLE } from '../support/corpora.js';
import { emptyReport, hostileReport, sampleReport } from './fixtures.js';

// Opens HTML reports in Debian's Chromium, driven by playwright-core. `npm test` installs Chromium first
// (scripts/ensure-chromium.mjs, the `pretest` script); the suite skips only when that was impossible.

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);

if (!HAS_CHROMIUM) {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\nHTML browser tests SKIPPED: ${CHROMIUM} is missing. Install it with \`node scripts/ensure-chromium.mjs\` (as root).\n${bar}\n\n`);
}

// Flags for a headless Chromium on a machine without network: no sandbox (tests run as root in CI), and no
// background connections to Google services, which would only fail and slow the start.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface Opened {
  page: Page;
  errors: string[];
  requests: string[];
  dialogs: string[];
}

describe.skipIf(!HAS_CHROMIUM)('HTML report in Chromium', () => {
  let context: BrowserContext;
  let folder: string;
  let profile: string;
  const files: Record<string, string> = {};
  let exampleReport: Report;

  beforeAll(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'rampart-html-'));
    profile = await mkdtemp(path.join(os.tmpdir(), 'rampart-chromium-profile-'));
    exampleReport = existsSync(EXAMPLE) ? auditInventory(await loadSnapshotFolder(EXAMPLE), 'examples/sde-cluster', { config: DEFAULT_CONFIG }) : sampleReport();
    const reports: Record<string, Report> = {
      example: exampleReport,
      sample: sampleReport(),
      empty: emptyReport(),
      hostile: hostileReport(),
      'hostile-snapshot': hostileSnapshotReport(),
    };
    for (const [name, report] of Object.entries(reports)) {
      const file = path.join(folder, `${name}.html`);
      await writeFile(file, renderHtml(report));
      files[name] = pathToFileURL(file).href;
    }
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 } });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await rm(folder, { recursive: true, force: true });
    await rm(profile, { recursive: true, force: true });
  });

  async function open(name: string): Promise<Opened> {
    const page = await context.newPage();
    const opened: Opened = { page, errors: [], requests: [], dialogs: [] };
    page.on('console', (message) => {
      if (message.type() === 'error') opened.errors.push(message.text());
    });
    page.on('pageerror', (error) => opened.errors.push(error.message));
    page.on('request', (request) => opened.requests.push(request.url()));
    page.on('dialog', async (dialog) => {
      opened.dialogs.push(dialog.message());
      await dialog.dismiss();
    });
    await page.goto(files[name] as string, { waitUntil: 'load' });
    // Give an onerror or onload handler that slipped through time to fire before the page is inspected.
    await page.waitForTimeout(100);
    return opened;
  }

  it('example report loads without errors', async () => {
    const { page, errors, requests } = await open('example');
    expect(errors).toEqual([]);
    expect(requests).toEqual([files.example]);
    expect(await page.locator('h1').textContent()).toContain('examples/sde-cluster');
    expect(await page.locator('#findings details.finding').count()).toBe(exampleReport.findings.length);
    // The script ran: it reveals the filter bar and counts the findings.
    expect(await page.locator('#controls').isVisible()).toBe(true);
    expect(await page.locator('#shown').textContent()).toBe(`${exampleReport.findings.length} of ${exampleReport.findings.length} finding(s) shown`);
    await page.close();
  });

  it('path pictures and heat map render', async () => {
    const { page, errors } = await open('sample');
    expect(errors).toEqual([]);
    await page.locator('#findings details.finding summary').first().click();
    const pictures = page.locator('details[open] svg.path-picture');
    expect(await pictures.count()).toBe(1);
    const box = await pictures.first().boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(box?.height).toBeGreaterThan(50);
    // Source, five hops and the target: seven boxes.
    expect(await pictures.first().locator('g.node').count()).toBe(7);

    const heatMap = page.locator('svg.heat-map');
    expect(await heatMap.count()).toBe(1);
    const heatBox = await heatMap.boundingBox();
    expect(heatBox?.width).toBeGreaterThan(100);
    expect(heatBox?.height).toBeGreaterThan(50);
    // Three sources reach PostgreSQL and two reach MinIO in the sample report.
    expect(await heatMap.locator('g.heat-cell').count()).toBe(5);
    await page.close();
  });

  it('finding expands on click', async () => {
    const { page } = await open('sample');
    const finding = page.locator('#findings details.finding').first();
    const body = finding.locator('.finding-body');
    expect(await finding.evaluate((element) => (element as HTMLDetailsElement).open)).toBe(false);
    expect(await body.isVisible()).toBe(false);
    await finding.locator('summary').click();
    expect(await finding.evaluate((element) => (element as HTMLDetailsElement).open)).toBe(true);
    expect(await body.isVisible()).toBe(true);
    expect(await body.textContent()).toContain('Security group sg-0a1b2c3d4e5f60718 allows tcp/31139');
    await page.close();
  });

  it('filters hide and show findings', async () => {
    const { page } = await open('sample');
    const critical = page.locator('#findings details.finding[data-severity="critical"]');
    expect(await critical.isVisible()).toBe(true);
    await page.locator('#controls input[name=severity][value=critical]').uncheck();
    expect(await critical.isVisible()).toBe(false);
    expect(await page.locator('#shown').textContent()).toBe('3 of 4 finding(s) shown');
    await page.locator('#controls input[name=severity][value=critical]').check();
    await page.locator('#search').fill('minio');
    expect(await page.locator('#shown').textContent()).toBe('1 of 4 finding(s) shown');
    await page.close();
  });

  it('empty report renders without reachability data', async () => {
    const { page, errors } = await open('empty');
    expect(errors).toEqual([]);
    expect(await page.locator('#reachability .no-data').textContent()).toContain('No reachability data');
    expect(await page.locator('#findings details.finding').count()).toBe(0);
    await page.close();
  });

  for (const name of ['hostile', 'hostile-snapshot']) {
    it(`${name} report executes nothing`, async () => {
      const { page, errors, requests, dialogs } = await open(name);
      expect(dialogs).toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __rampartPwned?: number }).__rampartPwned)).toBeUndefined();
      expect(requests).toEqual([files[name]]);
      expect(errors).toEqual([]);
      // No element the payloads describe exists: they are text.
      expect(await page.locator('img, iframe, object, embed, body style').count()).toBe(0);
      expect(await page.locator('script').count()).toBe(2);
      const handlers = await page.evaluate(() => [...document.querySelectorAll('*')].filter((element) => [...element.attributes].some((attribute) => attribute.name.startsWith('on'))).length);
      expect(handlers).toBe(0);
      await page.locator('#findings details.finding summary').first().click();
      expect(await page.locator('body').textContent()).toContain('<img src=x onerror=');
      expect(await page.evaluate(() => (window as unknown as { __rampartPwned?: number }).__rampartPwned)).toBeUndefined();
      await page.close();
    });
  }
});

/** Audits, with the real checks, a snapshot whose pod, namespace and container names carry payloads. */
function hostileSnapshotReport(): Report {
  const payload = '<img src=x onerror="window.__rampartPwned=1;alert(1)">';
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'w</script><script>window.__rampartPwned=2</script>',
      namespace: 'ns"><svg onload="window.__rampartPwned=3">',
      uid: 'a1b2c3d4-0000-4000-8000-000000000001',
      labels: { app: payload },
    },
    spec: { containers: [{ name: payload, image: 'busybox:1.36' }], restartPolicy: 'Always' },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: payload,
          ready: false,
          restartCount: 240,
          state: { waiting: { reason: 'CrashLoopBackOff', message: payload } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-20T09:50:00Z', finishedAt: '2026-11-20T09:50:02Z' } },
        },
      ],
    },
  };
  const report = auditInventory(loadDocuments({ 'pods.json': [{ apiVersion: 'v1', kind: 'List', items: [pod] }] }), '<b>snapshot</b>', { config: DEFAULT_CONFIG });
  if (report.findings.length === 0) throw new Error('the hostile snapshot produced no findings, so it would test nothing');
  return report;
}
