// tend start examples/ecosystem.config.cjs        (runs both apps on this machine)
// tend export kubernetes examples/ecosystem.config.cjs --image IMG   (the same apps for a cluster)
module.exports = {
  apps: [
    {
      name: 'worker',
      script: 'worker.js',
      env: { INTERVAL_MS: '5000' },
      kill_timeout: '30s',
    },
    {
      name: 'web',
      script: 'server.js',
      env: { PORT: '3000', NODE_ENV: 'production', SESSION_SECRET: 'change-me' },
      depends_on: { worker: 'started' },
      health: { http: 'http://127.0.0.1:3000/', interval: '10s', retries: 3 },
      max_memory_restart: '200M',
      kill_timeout: '10s',
      hooks: { errored: 'echo "$TEND_APP_NAME is errored" >&2' },
    },
  ],
};
