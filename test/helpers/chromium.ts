/**
 * The machine's chromium (Debian's package), driven headless through playwright-core: the
 * dashboard's browser tests, monit's screenshot and the watchers benchmark all start it here.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** A headless chromium with no sandbox, GPU, network chatter or first-run screens. */
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
