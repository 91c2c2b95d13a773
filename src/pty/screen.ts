import { createRequire } from 'node:module';
import type { Terminal as XTerminal } from '@xterm/headless';
import type { SerializeAddon as XSerializeAddon } from '@xterm/addon-serialize';

const require = createRequire(import.meta.url);

/** Lines of history kept beyond the visible screen (and sent on re-attach). */
const SCROLLBACK = 1000;

/**
 * The app's screen as a terminal emulator sees it (@xterm/headless), so a re-attach redraws
 * what is on screen now (cursor, colours, a full-screen program's layout) the way tmux does,
 * instead of replaying a byte log.
 */
export class Screen {
  private readonly term: XTerminal;
  private readonly serializer: XSerializeAddon;

  constructor(cols: number, rows: number) {
    const { Terminal } = require('@xterm/headless') as typeof import('@xterm/headless');
    const { SerializeAddon } = require('@xterm/addon-serialize') as typeof import('@xterm/addon-serialize');
    this.term = new Terminal({ cols, rows, scrollback: SCROLLBACK, allowProposedApi: true });
    this.serializer = new SerializeAddon();
    this.term.loadAddon(this.serializer as never);
  }

  write(data: string): void {
    this.term.write(data);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Everything written so far, as escape sequences that redraw it; after pending writes are parsed. */
  snapshot(): Promise<string> {
    return new Promise((resolve) => this.term.write('', () => resolve(this.serializer.serialize({ scrollback: 200 }))));
  }
}
