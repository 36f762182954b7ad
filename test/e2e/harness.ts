/**
 * E2E harness: starts the studio's Vite dev server on a free port and Debian's Chromium (never a
 * downloaded browser) with SwiftShader WebGPU, per /work/shared/DESIGN.md. Screenshots go to
 * test-results/e2e (gitignored).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA = resolve(REPO, '../shared/data');
export const ARTIFACTS = resolve(REPO, 'test-results/e2e');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Chromium flags for WebGPU on SwiftShader (CPU) in headless mode. */
export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  // WebGL (the r3f overlay, Spark) through ANGLE's default backend kills the SwiftShader WebGPU
  // instance ("A valid external Instance reference no longer exists"); ANGLE on SwiftShader does not.
  '--use-angle=swiftshader',
];

/** A free TCP port on localhost. */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createNetServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

export interface Studio {
  server: ViteDevServer;
  browser: Browser;
  url: string;
  close(): Promise<void>;
}

/** Starts Vite (dev server, repo root) and Chromium. Throws a clear error when Chromium is missing. */
export async function startStudio(extraArgs: string[] = []): Promise<Studio> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  process.env.XDG_RUNTIME_DIR ??= '/tmp';
  const port = await freePort();
  const server = await createServer({
    root: REPO,
    logLevel: 'error',
    // No HMR / file watching: other work in the tree must not reload the page mid-test.
    server: { port, strictPort: true, host: '127.0.0.1', open: false, hmr: false, watch: { ignored: ['**/*'] } },
  });
  await server.listen();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
  return {
    server,
    browser,
    url: `http://127.0.0.1:${port}/`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Collects page errors and console errors for assertions and debugging. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Saves a screenshot artifact and returns its bytes. */
export async function shot(page: Page, name: string, selector?: string): Promise<Buffer> {
  const path = resolve(ARTIFACTS, `${name}.png`);
  return selector ? page.locator(selector).screenshot({ path }) : page.screenshot({ path });
}
