import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Debian's chromium, headless, with nothing that reaches outside the machine. */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A browser context on a fresh profile; `close` ends it and removes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Launches headless Chromium (`/usr/bin/chromium`; .ci/run installs it) on a fresh `--user-data-dir`:
 * a persistent context is how playwright takes a profile directory of our own. Separate launches are
 * separate people (cookies, sessions).
 */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'sb-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, timeout: 60_000, ...options });
  return {
    context,
    close: async () => {
      await context.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** One Chromium for several people; `close` ends it with all their contexts. */
export interface TestBrowserForPeople {
  /** A new person: an isolated context (cookies, storage) with one page, far cheaper than a launch. */
  person(): Promise<BrowserContext>;
  close(): Promise<void>;
}

/**
 * Headless Chromium (same binary and flags as launchChromium) for tests that need several people at once:
 * contexts of one browser are as separate as separate launches for cookies and sessions, and cost a
 * fraction of a launch on a loaded machine. Playwright gives the browser a temporary profile and removes it.
 */
export async function launchChromiumForPeople(): Promise<TestBrowserForPeople> {
  const browser: Browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true, timeout: 60_000 });
  return {
    person: async () => {
      const context = await browser.newContext();
      await context.newPage();
      return context;
    },
    close: () => browser.close().catch(() => undefined),
  };
}
