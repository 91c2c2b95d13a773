import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnsiStripper, stripAnsi } from '../../src/lib/strip-ansi.js';
import { sanitize } from '../../src/tui/monit/text.js';

// One stripper for PTY logs and monit's log pane (they used to differ: monit left a DCS string's
// payload and 8-bit CSI sequences on screen).
describe('strip-ansi: the one ANSI stripper', () => {
  const HOSTILE = '\x1b[31mred\x1b[0m \x1b]0;title\x07ok \x1bPq#0;2;0;0;0#0~~\x1b\\dcs \x9b2Jcsi8 \x1b(Bcs \x1b=kp\x85\x9c\x7f\r\n';

  it('removes CSI (7- and 8-bit), OSC, DCS strings, charset and two-byte escapes, and C0/C1 controls', () => {
    assert.equal(stripAnsi(HOSTILE), 'red ok dcs csi8 cs kp\n');
  });

  it("monit's sanitize is the same stripper on one line (tabs as two spaces)", () => {
    assert.equal(sanitize(HOSTILE), 'red ok dcs csi8 cs kp');
    assert.equal(sanitize('a\tb\nc'), 'a  bc');
  });

  it('a stream split inside a sequence gives the same text', () => {
    for (let cut = 0; cut <= HOSTILE.length; cut++) {
      const s = new AnsiStripper();
      assert.equal(s.push(HOSTILE.slice(0, cut)) + s.push(HOSTILE.slice(cut)), stripAnsi(HOSTILE), `cut at ${cut}`);
    }
  });
});
