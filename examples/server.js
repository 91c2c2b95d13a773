const http = require('node:http');
const port = Number(process.env.PORT) || 5000;
const server = http
  .createServer((req, res) => {
    res.end('Hello world\n');
  })
  .listen(port, () => console.log(`listening on http://localhost:${port}`));
// Finish the requests in flight, then exit (tend stops with SIGINT by default, containers with SIGTERM).
const stop = () => server.close(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
