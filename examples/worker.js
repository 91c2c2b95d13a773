// A background worker: does a unit of work every few seconds, finishes the current one on SIGTERM.
let busy = false;
const timer = setInterval(
  () => {
    busy = true;
    console.log(`worker ${process.pid}: processed a job at ${new Date().toISOString()}`);
    busy = false;
  },
  Number(process.env.INTERVAL_MS) || 5000,
);
// tend stops apps with SIGINT by default (as PM2 does), container engines with SIGTERM: handle both.
const stop = () => {
  clearInterval(timer);
  console.log(busy ? 'worker: finishing the current job, then exiting' : 'worker: exiting');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
