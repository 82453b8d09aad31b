import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests start real apiserver processes; run files in series so
    // they never compete for the same ports, CPU or netfilter.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
  },
});
