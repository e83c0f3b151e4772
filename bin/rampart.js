#!/usr/bin/env node
// Entry point for `npx rampart`: the compiled CLI lives in dist/, built by `npm run build` (run by `npm ci`).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv);
