#!/usr/bin/env node
// Installs Debian's Chromium for the HTML report's browser test (test/report/html.browser.test.ts) when it is
// absent. Runs as the `pretest` npm script, so `npm ci && npm test` on a clean Debian machine gets a browser.
// It never downloads a browser of its own: only `apt-get install chromium` from the machine's package sources.
// When Chromium cannot be installed (not root, no apt-get, apt failed), it says so and exits 0, and the
// browser test then skips with a message naming the missing browser.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

const CHROMIUM = '/usr/bin/chromium';

function log(message) {
  process.stdout.write(`ensure-chromium: ${message}\n`);
}

function warn(message) {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\nensure-chromium: ${message}\nThe HTML report's browser test will be SKIPPED.\n${bar}\n\n`);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(command, args) {
  log(`running: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) return `${command} could not start: ${result.error.message}`;
  if (result.status !== 0) return `${command} ${args[0]} exited with code ${result.status ?? `signal ${result.signal}`}`;
  return undefined;
}

if (isExecutable(CHROMIUM)) {
  log(`${CHROMIUM} is present; nothing to install.`);
  process.exit(0);
}

if (process.platform !== 'linux' || !isExecutable('/usr/bin/apt-get')) {
  warn(`${CHROMIUM} is missing and this machine has no /usr/bin/apt-get; install Debian's chromium package by hand.`);
  process.exit(0);
}

if (typeof process.getuid === 'function' && process.getuid() !== 0) {
  warn(`${CHROMIUM} is missing and apt-get needs root; run: sudo apt-get update && sudo apt-get install -y chromium`);
  process.exit(0);
}

log(`${CHROMIUM} is missing; installing Debian's chromium package.`);
const failure = run('apt-get', ['update']) ?? run('apt-get', ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-dejavu-core']);
if (failure !== undefined) {
  warn(`installing chromium failed: ${failure}.`);
  process.exit(0);
}
if (!isExecutable(CHROMIUM)) {
  warn(`apt-get reported success but ${CHROMIUM} is still missing.`);
  process.exit(0);
}
log(`installed ${CHROMIUM}.`);
