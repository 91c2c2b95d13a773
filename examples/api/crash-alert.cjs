// Watches every app and reports the moment one crash-loops (status errored), with its last lines.
//   node examples/api/crash-alert.cjs
const { connect } = require('tend-pm');

async function main() {
  const tend = await connect();
  for await (const event of await tend.events({ types: ['process:state'] })) {
    if (event.type !== 'process:state' || event.info.status !== 'errored' || event.previous === 'errored') continue;
    const lines = [];
    for await (const record of await tend.logs(event.info.id, { lines: 5, streams: ['err'] })) lines.push(record.message);
    console.log(`${event.info.name} is errored: ${event.info.reason}\n  ${lines.join('\n  ')}`);
  }
}
main().catch((err) => {
  console.error(`tend: ${err.message}`);
  process.exitCode = err.exitCode ?? 1;
});
