// Regenerate the README's picture of the HTML report: scan the bundled example series in-process,
// render it with --format html's renderer, save the page (docs/example-report.html) and a full-page
// screenshot of it in Debian's chromium (docs/html-report.png, 1200 px wide).
//
//   node --import tsx scripts/screenshot.ts
//
// Needs /usr/bin/chromium (apt-get install chromium) or CHROMIUM=/path/to/chrome. The page is loaded
// with every network request aborted; the script fails if the page tried to fetch anything.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../test/support/browser.js';
import { ruleTable } from '../src/analysis/registry.js';
import { reviewScan, scanMessages } from '../src/pipeline.js';
import { runDocument } from '../src/report/document.js';
import { renderHtml } from '../src/report/html.js';
import { loadSemanticsDir } from '../src/semantics/load.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WIDTH = 1200;

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) {
    console.error(`screenshot: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM)`);
    process.exit(2);
  }
  // Relative paths, so the saved page does not carry this machine's directories.
  process.chdir(root);
  const input = 'fixtures/mail/example.mbox';
  const res = await scanMessages([input]);
  await reviewScan(res, { sem: loadSemanticsDir() });
  const doc = runDocument({
    command: 'scan',
    invocation: { args: ['scan', '--format', 'html', input], tree: null, config: null, baseline: null },
    rules: ruleTable(undefined),
    scan: res.doc,
  });
  const html = renderHtml(doc);
  const docs = join(root, 'docs');
  mkdirSync(docs, { recursive: true });
  writeFileSync(join(docs, 'example-report.html'), html);

  // launch() gives the browser a fresh temporary profile of its own.
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: WIDTH, height: 800 }, deviceScaleFactor: 1, colorScheme: 'light' });
    const tried: string[] = [];
    page.on('request', (r) => tried.push(r.url()));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    // Open the first finding's collapsed parts, so the picture shows what a reader can unfold.
    await page
      .locator('article.finding details.facts')
      .first()
      .evaluate((d) => d.setAttribute('open', ''));
    const out = join(docs, 'html-report.png');
    await page.screenshot({ path: out, fullPage: true });
    if (tried.length) throw new Error(`the page tried to load: ${tried.join(', ')}`);
    console.log(`wrote ${relative(root, join(docs, 'example-report.html'))} and ${relative(root, out)}`);
  } finally {
    await browser.close();
  }
}

await main();
