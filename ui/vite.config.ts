import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// `npm run dev` talks to Desk through the dev bridge, proxied so the page stays same-origin:
//   cargo run -p stint-bridge -- --data-dir .stint/dev --port 7421 --allow-origin http://localhost:5173
// then open http://localhost:5173/#bridge=<token> (the token is printed by the bridge).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
    proxy: { '/desk': { target: 'http://127.0.0.1:7421', changeOrigin: true } },
  },
  build: { target: 'es2021', outDir: 'dist', emptyOutDir: true },
  test: { include: ['src/**/*.test.ts'] },
});
