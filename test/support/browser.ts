// Debian's chromium, headless and offline, for the tests and scripts that look at kreview's pages.
// The flags keep it from reaching for the network at start-up (this machine has none).
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/**
 * A context in which every request is aborted and recorded, except the navigation to documents
 * under `allowed` (a file:// folder): the pages must need nothing else.
 */
export async function offlineContext(
  browser: Browser,
  allowed: string | null,
  options: BrowserContextOptions = {},
  requests: string[] = [],
): Promise<{ context: BrowserContext; requests: string[] }> {
  const context = await browser.newContext(options);
  await context.route('**/*', (route) => {
    const r = route.request();
    if (allowed && r.isNavigationRequest() && r.resourceType() === 'document' && r.url().startsWith(allowed)) return route.continue();
    requests.push(r.url());
    return route.abort();
  });
  return { context, requests };
}
