// Renders a load-test report (self-contained HTML) to PNG in headless Chromium, for docs/:
//   node --import tsx bench/screenshot.ts docs/reports/seed004-waiting-room.html docs/reports/seed004-waiting-room.png
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser } from '../test/web/browser.js';

const [html, png] = process.argv.slice(2);
if (!html || !png) {
  console.error('usage: bench/screenshot.ts <report.html> <out.png>');
  process.exit(2);
}
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
  await page.goto(pathToFileURL(resolve(html)).href);
  await page.screenshot({ path: png, fullPage: true });
} finally {
  await browser.close();
}
