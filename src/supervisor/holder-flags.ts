/**
 * V8 flags for the holders (a cluster app's node:cluster primary, a socket or PTY holder). A
 * holder holds sockets, a worker table or a terminal and relays a little traffic: it needs neither
 * a JIT nor a large young generation. TEND_HOLDER_NODE_FLAGS overrides the default ("" = Node's
 * defaults); measured in BENCHMARKS.md (memory-cluster, memory-pty).
 */
export const DEFAULT_HOLDER_NODE_FLAGS = '--max-semi-space-size=1 --single-threaded-gc';

export function holderNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TEND_HOLDER_NODE_FLAGS ?? DEFAULT_HOLDER_NODE_FLAGS).split(/\s+/).filter(Boolean);
}
