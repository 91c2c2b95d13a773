// The tend dashboard. Every value from the daemon is put on the page as text (textContent),
// never as HTML: app names, arguments, environment values and log lines cannot run code here.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const TOKEN_KEY = 'tend-token';
  const MAX_LOG_LINES = 500;

  // The token comes in the URL fragment (never sent to a server); keep it for this tab only.
  const fromHash = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash[1]);
    history.replaceState(null, '', location.pathname);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) || '';
  const auth = { Authorization: 'Bearer ' + token };

  const state = { apps: new Map(), selected: null, actions: [], stream: null, charts: null, held: null };

  function problem(text) {
    const p = $('problem');
    p.textContent = text;
    p.hidden = !text;
  }

  async function api(path, init) {
    const res = await fetch(path, Object.assign({ headers: auth }, init || {}));
    if (res.status === 401) {
      problem('The token is missing or wrong: open the URL that `tend web` prints (it ends with #token=…).');
      throw new Error('unauthorized');
    }
    const body = await res.json();
    if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
    return body;
  }

  // --- formatting -----------------------------------------------------------------------
  function bytes(n) {
    if (n === null || n === undefined) return '-';
    if (n < 1024) return n + ' B';
    const u = ['KB', 'MB', 'GB', 'TB'];
    let v = n / 1024; let i = 0;
    while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
    return v.toFixed(1) + ' ' + u[i];
  }
  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm';
    const h = Math.floor(m / 60);
    return h < 48 ? h + 'h' : Math.floor(h / 24) + 'd';
  }
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // --- the table ------------------------------------------------------------------------
  /** Listening ports as `tend list` shows them: 3000, 53/udp, 127.0.0.1:9000. */
  function ports(list) {
    const any = ['0.0.0.0', '::'];
    return [...new Set((list || []).map((q) => (any.includes(q.address) ? '' : q.address.includes(':') ? '[' + q.address + ']:' : q.address + ':') + q.port + (q.proto === 'udp' ? '/udp' : '')))].join(',');
  }

  function renderTable() {
    const body = $('apps').tBodies[0];
    const apps = [...state.apps.values()].sort((a, b) => a.id - b.id);
    $('empty').hidden = apps.length > 0;
    const rows = [];
    for (const p of apps) {
      const tr = el('tr');
      tr.dataset.id = String(p.id);
      if (state.selected === p.id) tr.className = 'selected';
      const running = p.status === 'online' || p.status === 'launching';
      tr.append(
        el('td', 'num', p.id),
        el('td', 'name', p.name),
        el('td', 's-' + p.status, p.status),
        el('td', p.health ? 'h-' + p.health : 'muted', p.health || '-'),
        el('td', 'num', p.pid === null ? '-' : p.pid),
        el('td', 'num', running ? duration(p.uptimeMs) : '-'),
        el('td', 'num', p.restarts),
        el('td', 'num', p.cpuPercent === null ? '-' : p.cpuPercent.toFixed(1) + '%'),
        el('td', 'num', bytes(p.memoryBytes)),
        el('td', 'num', running ? ports(p.ports) || '-' : '-'),
      );
      tr.addEventListener('click', () => select(p.id));
      rows.push(tr);
    }
    body.replaceChildren(...rows);
  }

  // --- the selected app -----------------------------------------------------------------
  function fact(dl, name, value) {
    dl.append(el('dt', '', name), el('dd', '', value));
  }

  function renderDetail(d) {
    $('detail').hidden = false;
    $('d-name').textContent = d.name + ' (id ' + d.id + ')';
    const st = $('d-status');
    st.textContent = d.status + (d.health ? ' · ' + d.health : '');
    st.className = 'pill s-' + d.status;
    const dl = $('d-facts');
    dl.replaceChildren();
    const x = d.spec.exec;
    fact(dl, 'command', [x.interpreter, ...x.interpreterArgs, x.script, ...x.args].filter(Boolean).join(' '));
    fact(dl, 'cwd', d.spec.cwd);
    fact(dl, 'pid', d.pid === null ? '-' : d.pid + (d.tree.length > 1 ? ' (+' + (d.tree.length - 1) + ' processes in its tree)' : ''));
    fact(dl, 'restarts', d.restarts + (d.lastLimitRestart ? ' — last automatic: ' + d.lastLimitRestart.reason : ''));
    if (d.ports && d.ports.length) fact(dl, 'listening', d.ports.map((q) => q.proto + ' ' + (q.address.includes(':') ? '[' + q.address + ']' : q.address) + ':' + q.port).join(', '));
    if (d.spec.maxMemoryRestartBytes) fact(dl, 'memory limit', bytes(d.spec.maxMemoryRestartBytes));
    if (d.spec.cronRestart) fact(dl, 'cron restart', d.spec.cronRestart + (d.nextCronAt ? ' (next ' + new Date(d.nextCronAt).toLocaleString() + ')' : ''));
    if (d.lastHealthCheck) fact(dl, 'last health check', (d.lastHealthCheck.ok ? 'passed: ' : 'failed: ') + d.lastHealthCheck.message);
    if (d.reason) fact(dl, 'reason', d.reason);
    // The variables set for this app (not the 30+ inherited from the shell that started it).
    const own = Array.isArray(d.spec.userEnv) ? new Set(d.spec.userEnv) : null;
    const env = Object.entries(d.spec.env).filter(([k]) => (own ? own.has(k) : true)).sort(([a], [b]) => a.localeCompare(b)).slice(0, 30);
    if (env.length) fact(dl, 'env', env.map(([k, v]) => k + '=' + v).join('\n'));
    renderActions(d);
  }

  function renderActions(d) {
    const box = $('actions');
    const buttons = [];
    const running = d.status === 'online' || d.status === 'launching' || d.status === 'waiting-restart';
    const wanted = running ? ['restart', 'reload', 'stop'] : ['start'];
    for (const a of wanted) {
      if (!state.actions.includes(a)) continue;
      const b = el('button', a === 'stop' ? 'danger' : '', a[0].toUpperCase() + a.slice(1));
      b.dataset.action = a;
      b.addEventListener('click', () => confirmAction(a, d.name, d.id));
      buttons.push(b);
    }
    box.replaceChildren(...buttons);
  }

  function confirmAction(action, name, id) {
    const dlg = $('confirm');
    $('confirm-text').textContent = action[0].toUpperCase() + action.slice(1) + ' ' + name + '?';
    $('confirm-ok').textContent = action[0].toUpperCase() + action.slice(1);
    dlg.onclose = async () => {
      if (dlg.returnValue !== 'ok') return;
      try {
        await api('/api/processes/' + id + '/' + action, { method: 'POST', headers: auth });
        problem('');
        if (state.selected === id) await loadDetail(id);
      } catch (err) {
        problem(action + ' ' + name + ' failed: ' + err.message);
      }
    };
    dlg.returnValue = '';
    dlg.showModal();
  }

  function charts() {
    if (state.charts === null) {
      state.charts = { cpu: tendCharts.make($('chart-cpu'), 'CPU %', '#58a6ff', 'pct'), mem: tendCharts.make($('chart-mem'), 'MB', '#3fb950', 'mb') };
      window.addEventListener('resize', () => { state.charts.cpu.resize(); state.charts.mem.resize(); });
    }
    return state.charts;
  }

  function addLogLine(r) {
    const pre = $('logs');
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    const line = el('div', r.stream === 'err' ? 'err' : '');
    line.append(el('span', 't', new Date(r.time).toLocaleTimeString() + ' '), document.createTextNode(r.message));
    pre.append(line);
    while (pre.childElementCount > MAX_LOG_LINES) pre.firstElementChild.remove();
    if (stick) pre.scrollTop = pre.scrollHeight;
  }

  async function loadDetail(id) {
    const { process: d, metrics } = await api('/api/processes/' + id);
    if (state.selected !== id) return;
    renderDetail(d);
    const c = charts();
    const pts = (metrics && metrics.history) || [];
    c.cpu.set(pts.map((p) => [p.t / 1000, p.cpuPercent]));
    c.mem.set(pts.map((p) => [p.t / 1000, p.memoryBytes / 1048576]));
    return d;
  }

  // Live lines that arrive while the backlog loads are held, then joined without a gap or a
  // duplicate: the lines both saw are the end of the backlog and the start of what was held.
  function joinLogs(backlog, held) {
    let k = Math.min(backlog.length, held.length);
    for (; k > 0; k--) {
      let same = true;
      for (let i = 0; i < k && same; i++) same = backlog[backlog.length - k + i].message === held[i].message && backlog[backlog.length - k + i].stream === held[i].stream;
      if (same) break;
    }
    return backlog.concat(held.slice(k));
  }

  async function select(id) {
    state.selected = id;
    renderTable();
    state.held = [];
    connect();
    try {
      await loadDetail(id);
      const { lines } = await api('/api/processes/' + id + '/logs?lines=100');
      if (state.selected !== id) return;
      $('logs').replaceChildren();
      joinLogs(lines, state.held || []).forEach(addLogLine);
      state.held = null;
    } catch (err) {
      problem(err.message);
    }
  }

  // --- the live stream (server-sent events read with fetch, so the token stays in a header) ---
  function onEvent(name, data) {
    if (name === 'processes') {
      state.apps = new Map(data.map((p) => [p.id, p]));
      renderTable();
    } else if (name === 'process:state') {
      if (data.deleted) state.apps.delete(data.info.id); else state.apps.set(data.info.id, data.info);
      renderTable();
      if (data.info.id === state.selected && !data.deleted) loadDetail(state.selected).catch(() => undefined);
    } else if (name === 'metrics') {
      for (const m of data.apps) {
        const p = state.apps.get(m.id);
        if (p) { p.cpuPercent = m.cpuPercent; p.memoryBytes = m.memoryBytes; if (m.ports) p.ports = m.ports; if (p.startedAt) p.uptimeMs = Date.now() - p.startedAt; }
        if (m.id === state.selected && m.cpuPercent !== null && m.memoryBytes !== null) {
          const c = charts();
          c.cpu.push(data.time / 1000, m.cpuPercent);
          c.mem.push(data.time / 1000, m.memoryBytes / 1048576);
        }
      }
      renderTable();
    } else if (name === 'log:line') {
      if (data.record.id !== state.selected) return;
      if (state.held) state.held.push(data.record);
      else addLogLine(data.record);
    }
  }

  function connect() {
    if (state.stream) state.stream.abort();
    const ctl = new AbortController();
    state.stream = ctl;
    const q = state.selected === null ? '' : '?logs=' + encodeURIComponent(String(state.selected));
    const conn = $('conn');
    (async () => {
      const res = await fetch('/api/events' + q, { headers: auth, signal: ctl.signal });
      if (res.status === 401) { problem('The token is missing or wrong: open the URL that `tend web` prints (it ends with #token=…).'); return 'stop'; }
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      conn.textContent = 'live'; conn.className = 'conn live';
      problem('');
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i); buf = buf.slice(i + 2);
          let name = 'message'; let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent(name, JSON.parse(data));
        }
      }
      return 'ended';
    })().then((why) => {
      if (why === 'stop' || ctl.signal.aborted) return;
      retry(ctl);
    }, () => { if (!ctl.signal.aborted) retry(ctl); });
  }

  // The daemon restarted (or the network blinked): reconnect, and the new daemon serves again.
  function retry(ctl) {
    const conn = $('conn');
    conn.textContent = 'reconnecting…'; conn.className = 'conn down';
    setTimeout(() => { if (state.stream === ctl) start(); }, 1000);
  }

  async function start() {
    try {
      const info = await api('/api/processes');
      state.actions = info.actions;
      $('host').textContent = info.system.hostname;
      $('daemon').textContent = 'tend ' + info.daemon.version + ' · daemon ' + info.daemon.pid + ' · ' + info.processes.length + ' app(s)';
      state.apps = new Map(info.processes.map((p) => [p.id, p]));
      renderTable();
      if (state.selected !== null && state.apps.has(state.selected)) await loadDetail(state.selected);
      else if (state.selected === null && info.processes.length > 0) return select(info.processes[0].id);
      connect();
    } catch (err) {
      if (err.message === 'unauthorized') return;
      const conn = $('conn');
      conn.textContent = 'daemon unreachable, retrying…'; conn.className = 'conn down';
      setTimeout(start, 1500);
    }
  }

  // Read-only figures for tests and the curious (the charts' point counts).
  window.tendDashboard = { chartPoints: () => (state.charts === null ? { cpu: 0, mem: 0 } : { cpu: state.charts.cpu.count, mem: state.charts.mem.count }) };

  if (!token) problem('No token: open the URL that `tend web` prints (it ends with #token=…).');
  else start();
})();
