#!/usr/bin/env node
// Entry point for `npx rampart`: the compiled CLI lives in dist/, built by `npm run build` (run by `npm ci`).
import { main } from '../dist/cli/main.js';

// A reader that stops early (`rampart audit -o json | head`) closes the pipe: that ends the output, it is
// not an error worth a stack trace.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv);
