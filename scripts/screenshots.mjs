// Takes the PNG screenshots of the example cluster's HTML report that docs/reports.md and the README show.
// Run with `npm run screenshots` (which loads the TypeScript sources through tsx); it needs Debian's
// Chromium at /usr/bin/chromium, which `node scripts/ensure-chromium.mjs` installs.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { auditInventory } from '../src/cli/pipeline.ts';
import { DEFAULT_CONFIG } from '../src/config/config.ts';
import { loadSnapshotFolder } from '../src/inventory/load.ts';
import { renderHtml } from '../src/report/html.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXAMPLE = 'examples/sde-cluster';
const OUTPUT = path.join(ROOT, 'docs/images');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

if (!existsSync(CHROMIUM)) {
  process.stderr.write(`screenshots: ${CHROMIUM} is missing; run \`node scripts/ensure-chromium.mjs\` as root first\n`);
  process.exit(2);
}

const report = auditInventory(await loadSnapshotFolder(path.join(ROOT, EXAMPLE)), EXAMPLE, { config: DEFAULT_CONFIG });
const work = await mkdtemp(path.join(os.tmpdir(), 'rampart-screenshots-'));
const profile = await mkdtemp(path.join(os.tmpdir(), 'rampart-chromium-profile-'));
const page = path.join(work, 'report.html');
await writeFile(page, renderHtml(report));
await mkdir(OUTPUT, { recursive: true });

const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
try {
  const tab = await context.newPage();
  await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });

  await tab.screenshot({ path: path.join(OUTPUT, 'report-summary.png') });
  written('report-summary.png', 'header, summary by severity and area');

  await tab.locator('#reachability').screenshot({ path: path.join(OUTPUT, 'report-reachability.png') });
  written('report-reachability.png', 'reachability heat map, or the notice that there is no reachability data');

  // Opens the first finding with a path picture, because it shows the most; else the first finding.
  const withPath = tab.locator('#findings details.finding:has(svg.path-picture)');
  const finding = (await withPath.count()) > 0 ? withPath.first() : tab.locator('#findings details.finding').first();
  if ((await finding.count()) > 0) {
    await finding.locator('summary').click();
    await finding.screenshot({ path: path.join(OUTPUT, 'report-finding.png') });
    written('report-finding.png', `finding "${await finding.locator('summary .title').textContent()}" expanded`);
  }
} finally {
  await context.close();
  await rm(work, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
}

function written(file, description) {
  process.stdout.write(`screenshots: wrote docs/images/${file} (${description})\n`);
}
