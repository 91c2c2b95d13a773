/** Turns a `tmux capture-pane -e` screen (SGR colour codes) into an HTML page, to screenshot it. */
const COLORS = ['#1d1f21', '#f85149', '#3fb950', '#d29922', '#58a6ff', '#bc8cff', '#39c5cf', '#d7dde5'];
const BRIGHT = ['#6e7681', '#ff7b72', '#56d364', '#e3b341', '#79c0ff', '#d2a8ff', '#56d4dd', '#ffffff'];

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function ansiToHtml(screen: string, title: string): string {
  let fg: string | null = null;
  let bold = false;
  let dim = false;
  let inverse = false;
  let html = '';
  const style = (): string => {
    let color = fg ?? '#d7dde5';
    let bg = 'transparent';
    if (inverse) {
      bg = color;
      color = '#0f1216';
    }
    return `color:${color};background:${bg};${bold ? 'font-weight:bold;' : ''}${dim ? 'opacity:.6;' : ''}`;
  };
  for (const part of screen.split(/(\x1b\[[0-9;]*m)/)) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (m === null) {
      if (part !== '') html += `<span style="${style()}">${esc(part)}</span>`;
      continue;
    }
    const codes = (m[1] === '' ? '0' : (m[1] as string)).split(';').map(Number);
    for (let i = 0; i < codes.length; i += 1) {
      const c = codes[i] as number;
      if (c === 0) {
        fg = null;
        bold = false;
        dim = false;
        inverse = false;
      } else if (c === 1) bold = true;
      else if (c === 2) dim = true;
      else if (c === 7) inverse = true;
      else if (c === 22) {
        bold = false;
        dim = false;
      } else if (c === 27) inverse = false;
      else if (c >= 30 && c <= 37) fg = COLORS[c - 30] ?? null;
      else if (c >= 90 && c <= 97) fg = BRIGHT[c - 90] ?? null;
      else if (c === 39) fg = null;
      else if (c === 38 && codes[i + 1] === 5) i += 2;
    }
  }
  return (
    `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><body style="margin:0;background:#0f1216">` +
    `<pre style="margin:0;padding:12px 14px;font:15px/1.3 'DejaVu Sans Mono',monospace;color:#d7dde5;background:#0f1216;display:inline-block">${html}</pre></body>`
  );
}
