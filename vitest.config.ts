import { defineConfig, mergeConfig } from 'vitest/config';
import viteConfig from './vite.config.js';

// Dawn's Node addon crashes when a worker *thread* requests an adapter, so every project runs in
// forked processes. The kernel tests run twice: on the default adapter (lavapipe here) and on
// SwiftShader (the driver Chromium uses), so both drivers stay covered.
export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      pool: 'forks',
      testTimeout: 120_000,
      hookTimeout: 120_000,
      projects: [
        {
          extends: true,
          test: { name: 'default-adapter', include: ['test/**/*.test.ts'] },
        },
        {
          extends: true,
          test: { name: 'swiftshader', include: ['test/kernels/**/*.test.ts', 'test/layers/**/*.test.ts'], env: { WEBRNN_ADAPTER: 'swiftshader' } },
        },
      ],
    },
  }),
);
