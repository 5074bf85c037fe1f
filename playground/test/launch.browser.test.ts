import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LaunchedBrowser, launchBrowser } from './browser.js';

// The browser itself: Debian's Chromium starts headless here and renders a page served on loopback.
let launched: LaunchedBrowser;
beforeAll(async () => {
  launched = await launchBrowser();
});
afterAll(async () => {
  await launched?.close();
});

describe('headless Chromium', () => {
  it('renders a loopback page and runs its script', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<p id="p">static</p><script>document.getElementById("p").textContent = "scripted";</script>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const page = await launched.browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      expect(await page.textContent('#p')).toBe('scripted');
    } finally {
      server.close();
    }
  });
});
