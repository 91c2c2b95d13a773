/**
 * V8 flags for the holders (a cluster app's node:cluster primary, a socket or PTY holder), from
 * TEND_HOLDER_NODE_FLAGS in the daemon's environment. None by default: measured (BENCHMARKS.md,
 * Memory), a smaller young generation or single-threaded GC saves nothing, and `--lite-mode`
 * saves 1–5 MB RSS per holder but costs a PTY holder 15× the CPU on terminal output.
 */
export function holderNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.TEND_HOLDER_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}
