import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { PTY_MAX_HOLDER_FRAME_BYTES, PTY_PROTOCOL_VERSION, type PtyClientFrame, type PtyHolderFrame } from '../protocol/pty.js';
import { encodeFrame, FrameDecoder } from '../rpc/framing.js';

export type AttachEnd =
  { how: 'detached' } | { how: 'exited'; code: number | null; signal: string | null } | { how: 'lost'; message: string };

/** Enter the alternate screen (the shell's screen comes back on detach), as tmux does. */
const ENTER = '\x1b[?1049h\x1b[H\x1b[2J';
/** Back to the normal screen; cursor shown, attributes and modes an app may have set reset. */
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1006l\x1b[?1049l';

/**
 * Connects this terminal to a PTY holder: raw mode, keystrokes to the app, its output to the
 * screen, window size changes passed on; `detachByte` (typed alone or in a paste) detaches.
 * The holder must say it is `holderPid`: the socket of an app that runs as another user is in
 * that user's folder, and the user could point it at another app's terminal.
 */
export async function attachSession(socketPath: string, detachByte: number, holderPid: number): Promise<AttachEnd> {
  const socket = await connectHolder(socketPath);
  if (socket === null) return { how: 'lost', message: `no PTY holder answers at ${socketPath}` };
  return session(socket, detachByte, holderPid);
}

/**
 * A holder that has just been (re)started binds its socket a moment after the supervisor reports
 * the app online: wait for it, up to 5 s, rather than fail an attach typed right after a start.
 */
async function connectHolder(path: string): Promise<Socket | null> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const socket = await new Promise<Socket | null>((resolve) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (socket !== null || Date.now() > deadline) return socket;
    await new Promise((r) => setTimeout(r, 50));
  }
}

function session(socket: Socket, detachByte: number, holderPid: number): Promise<AttachEnd> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  return new Promise((resolve) => {
    socket.setNoDelay(true);
    const decoder = new StringDecoder('utf8');
    const frames = new FrameDecoder(PTY_MAX_HOLDER_FRAME_BYTES);
    let screenShown = false;
    let done = false;
    const send = (f: PtyClientFrame): void => {
      if (!socket.destroyed) socket.write(encodeFrame(f));
    };
    const finish = (end: AttachEnd): void => {
      if (done) return;
      done = true;
      stdin.off('data', onKeys);
      stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(false);
      stdin.pause();
      if (screenShown) stdout.write(LEAVE);
      socket.destroy();
      resolve(end);
    };
    const onKeys = (chunk: Buffer): void => {
      const at = chunk.indexOf(detachByte);
      const keys = at === -1 ? chunk : chunk.subarray(0, at);
      const text = decoder.write(keys);
      if (text.length > 0) send({ t: 'in', data: text });
      if (at !== -1) finish({ how: 'detached' });
    };
    const onResize = (): void => send({ t: 'resize', cols: stdout.columns || 80, rows: stdout.rows || 24 });
    send({ t: 'hello', protocol: PTY_PROTOCOL_VERSION, cols: stdout.columns || 80, rows: stdout.rows || 24 });
    socket.on('data', (chunk: Buffer) => {
      let received: PtyHolderFrame[];
      try {
        received = frames.push(chunk) as PtyHolderFrame[];
      } catch (err) {
        return finish({ how: 'lost', message: `the holder sent something that is not a frame (${(err as Error).message})` });
      }
      for (const f of received) {
        if (f.t === 'screen') {
          stdout.write(ENTER + f.data);
          screenShown = true;
          stdin.setRawMode(true);
          stdin.on('data', onKeys);
          stdin.resume();
          stdout.on('resize', onResize);
        } else if (f.t === 'out') stdout.write(f.data);
        else if (f.t === 'exit') return finish({ how: 'exited', code: f.code, signal: f.signal });
        else if (f.t === 'error') return finish({ how: 'lost', message: f.message });
        else if (f.t === 'hello' && f.protocol !== PTY_PROTOCOL_VERSION)
          return finish({ how: 'lost', message: `the holder speaks protocol ${f.protocol}, this tend ${PTY_PROTOCOL_VERSION}` });
        else if (f.t === 'hello' && f.pid !== holderPid)
          return finish({
            how: 'lost',
            message: `the terminal socket is held by pid ${f.pid}, not by the app's holder (pid ${holderPid})`,
          });
      }
    });
    socket.on('error', (err) => finish({ how: 'lost', message: err.message }));
    socket.on('close', () => finish({ how: 'lost', message: 'the PTY holder closed the connection' }));
  });
}

/** `ctrl-]` (default), `ctrl-a` … `ctrl-z`, `ctrl-\`, `ctrl-^`, `ctrl-_` → the byte the terminal sends. */
export function parseDetachKey(text: string): number | null {
  const m = /^(?:ctrl|c)-(.)$/i.exec(text.trim()) ?? /^\^(.)$/.exec(text.trim());
  if (m === null) return null;
  const ch = (m[1] as string).toUpperCase();
  const code = ch.charCodeAt(0);
  if (code >= 0x40 && code <= 0x5f) return code - 0x40;
  return null;
}
