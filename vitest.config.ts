import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // The CLI sets this too; tests that build SDK clients directly would otherwise print the SDK's Node 22 notice.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
