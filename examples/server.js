const http = require('node:http');
const port = Number(process.env.PORT) || 5000;
http.createServer((req, res) => {
  res.end('Hello world\n');
}).listen(port, () => console.log(`listening on http://localhost:${port}`));
