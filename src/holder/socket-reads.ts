import net from 'node:net';

/**
 * How the proxy reads its sockets: into one buffer shared by every socket of the holder
 * (Node's `onread`), copying each chunk out before the callback returns, instead of a stream
 * `'data'` event per read. Node's default read path allocates a 64 KiB buffer per read, shrinks
 * it, and runs the readable-stream machinery (push, addChunk, emit, maybeReadMore on the next
 * tick) before the proxy sees a byte; for a hello-world exchange that is about a fifth of the
 * proxy's CPU. Sharing one buffer is safe because a read's callback runs to completion before
 * the next read of any socket, and what outlives it (a write still queued, a partial head) is
 * the copy. Pausing is unchanged: `socket.pause()` stops the reads, `socket.resume()` restarts
 * them; the end of the stream and errors come as events, as before.
 */

const READ_BUFFER_BYTES = 64 * 1024;
const shared = Buffer.allocUnsafe(READ_BUFFER_BYTES);

export type OnChunk = (chunk: Buffer) => void;

/** The `onread` option for `net.connect` and `new net.Socket`: each read handed over as its own copy. */
export function copiedReads(onChunk: OnChunk): net.OnReadOpts {
  return {
    buffer: shared,
    callback: (bytes: number, buf: Uint8Array) => {
      // Buffer.from copies: a small chunk into Node's pooled slab, a large one into its own memory.
      onChunk(Buffer.from(buf.subarray(0, bytes)));
      return true;
    },
  };
}

/** What Node keeps of an accepted connection: the libuv TCP handle that the socket object wraps. */
interface WithHandle {
  _handle?: object | null;
}

/**
 * An accepted connection (from a server created with `pauseOnConnect: true`, so nothing was
 * read yet) re-wrapped so that its reads go through `copiedReads`. `net.Server` takes no
 * `onread` option, so the connection's handle moves to a new socket built with one: the old
 * socket object lets go of the handle (it is not closed) and is destroyed, which also takes it
 * off the server's connection count. When the handle is not there (a Node without it, or a
 * connection already gone), the socket itself is used with `'data'` events.
 */
export function acceptWithCopiedReads(sock: net.Socket, onChunk: OnChunk): net.Socket {
  const old = sock as unknown as WithHandle;
  const handle = old._handle;
  if (typeof handle !== 'object' || handle === null || !('readStart' in handle)) {
    sock.on('data', onChunk);
    sock.resume();
    return sock;
  }
  old._handle = null;
  sock.destroy();
  const options = { handle, allowHalfOpen: true, readable: true, writable: true, onread: copiedReads(onChunk) };
  return new net.Socket(options as net.SocketConstructorOpts);
}
