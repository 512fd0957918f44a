// The VM page's "Graphs" section: CPU, memory, disk and network of the
// VM, a sample a second from GET /api/stats/NAME (server-sent events of
// the supervisor's stats-watch; the web process watches only while some
// page shows graphs), drawn as SVG here, no chart library.  The page
// keeps HISTORY samples per VM while the tab is open.
'use strict';

(() => {
  const HISTORY = 300;	// 5 minutes at one a second
  const W = 420;
  const H = 90;
  const SVGNS = 'http://www.w3.org/2000/svg';
  const history = {};	// VM name -> [{ t, cpu, mem, disk, net }]

  const kib = (b) => (b >= 1048576 ? `${(b / 1048576).toFixed(1)} MiB/s` : `${(b / 1024).toFixed(1)} KiB/s`);
  const GRAPHS = [
    { key: 'cpu', title: 'CPU', fmt: (v) => `${v.toFixed(1)} %`, min: 100 },
    { key: 'mem', title: 'Memory', fmt: (v) => `${Math.round(v)} MiB`, min: 1 },
    { key: 'disk', title: 'Disk (read + write)', fmt: kib, min: 1024 },
    { key: 'net', title: 'Network (rx + tx)', fmt: kib, min: 1024 },
  ];

  function point(s) {
    const r = s.rates || {};
    const b = s.balloon || {};
    const g = b.guest || {};
    let mem = null;
    const tot = g['stat-total-memory'];
    const free = g['stat-available-memory'] !== undefined ? g['stat-available-memory'] : g['stat-free-memory'];
    if (typeof tot === 'number' && tot > 0 && typeof free === 'number') mem = (tot - free) / 1048576;
    else if (typeof b.current_mib === 'number') mem = b.current_mib;
    return {
      t: Date.now(),
      cpu: typeof r.cpu_pct === 'number' ? r.cpu_pct : null,
      mem,
      disk: r.rd_bps !== undefined ? (r.rd_bps || 0) + (r.wr_bps || 0) : null,
      net: r.rx_bps !== undefined ? (r.rx_bps || 0) + (r.tx_bps || 0) : null,
    };
  }

  function svgEl(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  }

  // one graph: a polyline over the last HISTORY seconds, scaled to its max
  function draw(box, g, pts) {
    const svg = box.querySelector('svg');
    const vals = pts.filter((p) => p[g.key] !== null);
    const max = Math.max(g.min, ...vals.map((p) => p[g.key])) * 1.1;
    const now = Date.now();
    const x = (t) => W - ((now - t) / 1000) * (W / HISTORY);
    const y = (v) => H - (v / max) * (H - 4) - 2;
    svg.textContent = '';
    for (const f of [0.25, 0.5, 0.75]) {
      svg.appendChild(svgEl('line', { x1: 0, x2: W, y1: H * f, y2: H * f, class: 'grid' }));
    }
    if (vals.length > 0) {
      const xy = vals.map((p) => `${x(p.t).toFixed(1)},${y(p[g.key]).toFixed(1)}`).join(' ');
      svg.appendChild(svgEl('polygon', { points: `${x(vals[0].t).toFixed(1)},${H} ${xy} ${x(vals[vals.length - 1].t).toFixed(1)},${H}`, class: 'area' }));
      svg.appendChild(svgEl('polyline', { points: xy, class: 'line' }));
    }
    svg.dataset.points = vals.length;
    const cur = vals.length > 0 ? vals[vals.length - 1][g.key] : null;
    svg.dataset.last = cur === null ? '' : String(cur);
    box.querySelector('.now').textContent = cur === null ? 'n/a' : g.fmt(cur);
    box.querySelector('.max').textContent = `max ${g.fmt(max / 1.1)}`;
  }

  function render(sec, vm) {
    const pts = history[vm.name] = history[vm.name] || [];
    const status = document.createElement('p');
    status.id = 'graphs-status';
    status.textContent = 'Waiting for the first sample...';
    sec.appendChild(status);
    const grid = document.createElement('div');
    grid.className = 'graphs';
    sec.appendChild(grid);
    const boxes = GRAPHS.map((g) => {
      const box = document.createElement('figure');
      box.id = `graph-${g.key}`;
      const cap = document.createElement('figcaption');
      cap.innerHTML = '<b></b> <span class="now"></span> <span class="max"></span>';
      cap.querySelector('b').textContent = g.title;
      box.appendChild(cap);
      box.appendChild(svgEl('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': g.title }));
      grid.appendChild(box);
      return box;
    });
    const redraw = () => GRAPHS.forEach((g, i) => draw(boxes[i], g, pts));
    redraw();
    const es = new EventSource(`/api/stats/${encodeURIComponent(vm.name)}`);
    es.addEventListener('stats', (e) => {
      const s = JSON.parse(e.data);
      if (s.state !== 'running' && s.state !== 'paused') {
        status.textContent = `${vm.name} is ${s.state}: no figures.`;
        return;
      }
      pts.push(point(s));
      while (pts.length > HISTORY) pts.shift();
      status.textContent = `Every second, the last ${HISTORY / 60} minutes.`;
      redraw();
    });
    es.addEventListener('failed', (e) => {
      status.textContent = `Graphs: ${JSON.parse(e.data).desc}`;
      status.className = 'bad';
      es.close();
    });
    return () => es.close();
  }

  QL.section({ id: 'graphs', title: 'Graphs', render });
})();
