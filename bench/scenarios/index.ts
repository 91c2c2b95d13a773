import type { Scenario } from '../lib/scenario.js';
import { cluster } from './cluster.js';
import { daemonKill } from './daemon-kill.js';
import { sockets } from './sockets.js';
import { sticky } from './sticky.js';
import { proxy } from './proxy.js';
import { idleCpu } from './idle-cpu.js';
import { list100, list5, verbs1 } from './list.js';
import { logThroughput } from './log-throughput.js';
import { manyApps, start300File } from './many-apps.js';
import { memoryLimit } from './memory-limit.js';
import { memoryCluster, memoryDaemon, memoryPty } from './memory.js';
import { watchers } from './watchers.js';
import { restartLatency } from './restart-latency.js';
import { reloadApps } from './reload-apps.js';
import { rss } from './rss.js';
import { start100 } from './start-100.js';
import { start100File } from './start-100-file.js';

/** Every scenario, in the order `npm run bench` runs them. */
export const scenarios: readonly Scenario[] = [
  list5,
  list100,
  verbs1,
  rss,
  restartLatency,
  start100,
  start100File,
  idleCpu,
  memoryLimit,
  watchers,
  logThroughput,
  daemonKill,
  start300File,
  manyApps,
  cluster,
  reloadApps,
  sockets,
  sticky,
  proxy,
  memoryCluster,
  memoryPty,
  memoryDaemon,
];
