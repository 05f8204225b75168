// Regenerate the README's pictures of the nightly site: three nights of the nightly job on the test
// fixture (a public-inbox archive and a kernel tree: v1 of a series with a lock leak, then v2 fixing
// it and bringing a reference leak, then a quiet night), built in a temporary folder with fixed
// dates, then the front page (docs/nightly.png) and the series' page (docs/nightly-series.png)
// photographed in Debian's chromium, 1200 px wide.
//
//   node --import tsx scripts/screenshot-nightly.ts
//
// Needs git and /usr/bin/chromium (apt-get install chromium) or CHROMIUM=/path/to/chrome. Pages are
// opened from their files with every other request aborted; the script fails if one tried to load
// anything but the page itself. KEEP=1 keeps the temporary folder and prints where it is.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM, HAVE_CHROMIUM, launchChromium } from '../test/support/browser.js';
import { loadNightConfig } from '../src/cron/config.js';
import { runNight } from '../src/cron/night.js';
import { makeNights, nightConfig } from '../test/support/nights.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const WIDTH = 1200;
const NIGHTS: [1 | 2 | 3, string][] = [
  [1, '2024-06-12'],
  [2, '2024-06-13'],
  [3, '2024-06-14'],
];

async function main(): Promise<void> {
  if (!HAVE_CHROMIUM) {
    console.error(`screenshot-nightly: ${CHROMIUM} not found (apt-get install chromium, or set CHROMIUM)`);
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'kreview-nightly-shot-'));
  try {
    const nights = makeNights(dir);
    const cfgPath = nightConfig(dir, nights);
    for (const [n, day] of NIGHTS) {
      nights.night(n);
      await runNight(loadNightConfig(cfgPath), { now: () => new Date(`${day}T04:00:00Z`) });
    }
    const output = loadNightConfig(cfgPath).output;
    const docs = join(root, 'docs');
    mkdirSync(docs, { recursive: true });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: WIDTH, height: 800 }, deviceScaleFactor: 1, colorScheme: 'light' });
      const tried: string[] = [];
      // Only the pages themselves are let through: a document of the output folder, opened by goto.
      const allowed = pathToFileURL(output).href + '/';
      await context.route('**/*', (route) => {
        const r = route.request();
        if (r.isNavigationRequest() && r.resourceType() === 'document' && r.url().startsWith(allowed)) return route.continue();
        tried.push(r.url());
        return route.abort();
      });
      const shots: [string, string][] = [
        [join(output, 'index.html'), join(docs, 'nightly.png')],
        [join(output, 'series', '1.html'), join(docs, 'nightly-series.png')],
      ];
      for (const [file, png] of shots) {
        const page = await context.newPage();
        await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
        await page.screenshot({ path: png, fullPage: true });
        await page.close();
        console.log(`wrote ${relative(root, png)}`);
      }
      if (tried.length) throw new Error(`the pages tried to load: ${tried.join(', ')}`);
    } finally {
      await browser.close();
    }
  } finally {
    if (process.env.KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
