/* global uPlot, EventSource, DocumentFragment, URLSearchParams, ResizeObserver, Option */
// The Switchboard dashboard: polls the admin JSON API once a second for figures and graphs, and
// listens to the debug console's server-sent events. The server samples the console stream, and
// this page keeps a bounded number of rows, so a busy gateway cannot grow the page without limit.
'use strict';

(() => {
  const MAX_ROWS = 500;
  const $ = (id) => document.getElementById(id);
  const state = { appId: undefined, charts: undefined, paused: false, source: undefined, dropped: 0, received: 0, membersChannel: undefined };

  async function api(path, init) {
    const res = await fetch(path, { credentials: 'same-origin', ...init });
    if (res.status === 401) {
      window.location.assign('/');
      throw new Error('signed out');
    }
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
    return body;
  }

  function text(el, value) {
    el.textContent = value === undefined || value === null ? '' : String(value);
  }

  function cell(row, value, className) {
    const td = document.createElement('td');
    text(td, value);
    if (value !== undefined) td.title = String(value);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  // ---- figures and graphs -------------------------------------------------------------------

  function makeChart(el, series) {
    const width = Math.max(el.clientWidth, 300);
    return new uPlot(
      {
        width,
        height: 180,
        scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max * 1.1, 1)] } },
        axes: [{}, { size: 50 }],
        series: [{}, ...series],
        legend: { live: false },
      },
      [[], ...series.map(() => [])],
      el,
    );
  }

  function ensureCharts() {
    if (state.charts) return state.charts;
    state.charts = {
      connections: makeChart($('chart-connections'), [{ label: 'connections', stroke: '#2f6fdb', width: 2, fill: 'rgba(47,111,219,.08)' }]),
      rates: makeChart($('chart-rates'), [
        { label: 'in', stroke: '#8e44ad', width: 2 },
        { label: 'out', stroke: '#2e7d32', width: 2 },
        { label: 'published', stroke: '#e67e22', width: 2 },
      ]),
    };
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        for (const [key, chart] of Object.entries(state.charts)) {
          const el = key === 'connections' ? $('chart-connections') : $('chart-rates');
          chart.setSize({ width: Math.max(el.clientWidth, 300), height: 180 });
        }
      }).observe(document.querySelector('.charts'));
    }
    return state.charts;
  }

  function fillAppSelect(apps) {
    const select = $('app-select');
    const ids = apps.map((a) => a.id);
    const current = [...select.options].map((o) => o.value);
    if (ids.join('\n') !== current.join('\n')) {
      select.replaceChildren(...ids.map((id) => new Option(id, id)));
    }
    if (!state.appId || !ids.includes(state.appId)) {
      state.appId = ids[0];
      select.value = state.appId;
      connectConsole();
    }
  }

  async function refreshOverview() {
    const overview = await api(`/api/overview?history=${encodeURIComponent(state.appId || '')}`);
    fillAppSelect(overview.apps);
    const node = overview.node;
    const badge = $('node-state');
    text(badge, node.ready ? 'ready' : `not ready: ${node.notReadyReason}`);
    badge.className = `badge ${node.ready ? 'ready' : 'not-ready'}`;
    text($('node-info'), `node ${node.nodeId.slice(0, 8)} · up ${node.uptime} · ${(node.memory.rss / 1048576).toFixed(0)} MiB · ${node.apiRequests} API requests`);
    const app = overview.apps.find((a) => a.id === state.appId);
    if (!app) return;
    text($('fig-connections'), app.connections);
    text($('fig-subscriptions'), app.subscriptions);
    text($('fig-channels'), app.channels);
    text($('fig-in'), app.rates.messagesIn);
    text($('fig-out'), app.rates.messagesOut);
    text($('fig-published'), app.rates.published);
    const h = app.history;
    if (h) {
      const charts = ensureCharts();
      charts.connections.setData([h.t, h.connections]);
      charts.rates.setData([h.t, h.messagesIn, h.messagesOut, h.published]);
    }
  }

  async function refreshChannels() {
    if (!state.appId) return;
    const { channels } = await api(`/api/apps/${encodeURIComponent(state.appId)}/channels?limit=15`);
    const body = $('channels').tBodies[0];
    body.replaceChildren(
      ...channels.map((c) => {
        const row = document.createElement('tr');
        cell(row, c.name);
        cell(row, c.subscriptions);
        cell(row, c.members);
        if (c.name.startsWith('presence-')) {
          row.addEventListener('click', () => {
            $('members-channel').value = c.name;
            showMembers().catch(showError($('members-summary')));
          });
        }
        return row;
      }),
    );
    if (channels.length === 0) {
      const row = document.createElement('tr');
      cell(row, 'no occupied channels', 'muted').colSpan = 3;
      body.appendChild(row);
    }
  }

  // The members panel follows one channel: it is read again every two seconds and at once when the
  // debug console reports a member joining or leaving it, so departures do not linger on screen.
  async function showMembers() {
    const channel = $('members-channel').value.trim();
    state.membersChannel = channel;
    await refreshMembers();
  }

  async function refreshMembers() {
    const channel = state.membersChannel;
    if (!channel || !state.appId) return;
    const result = await api(`/api/apps/${encodeURIComponent(state.appId)}/channels/${encodeURIComponent(channel)}/members`);
    if (channel !== state.membersChannel) return;
    $('members-summary').className = 'muted';
    text($('members-summary'), `${result.total} member${result.total === 1 ? '' : 's'} in ${channel}`);
    $('members').replaceChildren(
      ...result.members.map((m) => {
        const li = document.createElement('li');
        const id = document.createElement('strong');
        text(id, m.id);
        li.appendChild(id);
        const info = describeInfo(m.info);
        if (info.length > 0) {
          const dl = document.createElement('dl');
          dl.className = 'member-info';
          for (const [key, value] of info) {
            const dt = document.createElement('dt');
            text(dt, key);
            const dd = document.createElement('dd');
            text(dd, value);
            dl.append(dt, dd);
          }
          li.appendChild(dl);
        }
        return li;
      }),
    );
  }

  /** A member's user_info as label/value pairs: an object's fields, nested values in compact JSON. */
  function describeInfo(info) {
    if (info === undefined || info === null) return [];
    if (typeof info !== 'object' || Array.isArray(info)) return [['info', typeof info === 'string' ? info : JSON.stringify(info)]];
    return Object.entries(info).map(([key, value]) => [key, value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)]);
  }

  function showError(el) {
    return (error) => {
      el.className = 'error';
      text(el, error.message);
    };
  }

  // ---- publish a test event -----------------------------------------------------------------

  async function publish(event) {
    event.preventDefault();
    const result = $('publish-result');
    result.className = '';
    text(result, 'publishing…');
    try {
      const sent = await api(`/api/apps/${encodeURIComponent(state.appId)}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel: $('publish-channel').value.trim(), event: $('publish-event').value.trim(), data: $('publish-data').value }),
      });
      text(result, `published ${sent.event} on ${sent.channel}`);
    } catch (error) {
      showError(result)(error);
    }
  }

  // ---- debug console ------------------------------------------------------------------------

  function consoleQuery() {
    const types = [...$('console-types').querySelectorAll('input:checked')].flatMap((i) => i.value.split(','));
    const params = new URLSearchParams({ app: state.appId || '', types: types.join(','), q: $('console-filter').value.trim() });
    return params.toString();
  }

  function connectConsole() {
    if (state.source) state.source.close();
    if (!state.appId) return;
    const source = new EventSource(`/api/events?${consoleQuery()}`);
    state.source = source;
    source.onopen = () => text($('console-state'), 'live');
    source.onerror = () => text($('console-state'), 'reconnecting…');
    source.onmessage = (message) => {
      if (state.paused) return;
      const batch = JSON.parse(message.data);
      state.dropped += batch.dropped;
      state.received += batch.events.length;
      addRows(batch.events);
      if (state.membersChannel && batch.events.some((e) => (e.type === 'member_added' || e.type === 'member_removed') && e.channel === state.membersChannel)) {
        refreshMembers().catch(showError($('members-summary')));
      }
      text($('console-state'), `live · ${state.received} shown${state.dropped ? ` · ${state.dropped} sampled out` : ''}`);
    };
  }

  function addRows(events) {
    const body = $('console').tBodies[0];
    const fragment = new DocumentFragment();
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      const row = document.createElement('tr');
      row.className = 'event';
      row.dataset.type = e.type;
      cell(row, new Date(e.t).toISOString().slice(11, 23));
      cell(row, e.type, `type-${e.type}`);
      cell(row, e.channel);
      cell(row, e.event);
      cell(row, e.userId ? `${e.socketId || ''} ${e.userId}`.trim() : e.socketId);
      cell(row, e.detail);
      fragment.appendChild(row);
    }
    body.insertBefore(fragment, body.firstChild);
    while (body.rows.length > MAX_ROWS) body.deleteRow(-1);
  }

  // ---- wiring -------------------------------------------------------------------------------

  $('app-select').addEventListener('change', (e) => {
    state.appId = e.target.value;
    state.membersChannel = undefined;
    $('members').replaceChildren();
    text($('members-summary'), '');
    connectConsole();
    refreshOverview().catch(() => undefined);
    refreshChannels().catch(() => undefined);
  });
  $('publish-form').addEventListener('submit', publish);
  $('members-form').addEventListener('submit', (e) => {
    e.preventDefault();
    showMembers().catch(showError($('members-summary')));
  });
  $('console-types').addEventListener('change', connectConsole);
  let filterTimer;
  $('console-filter').addEventListener('input', () => {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(connectConsole, 300);
  });
  $('console-pause').addEventListener('click', () => {
    state.paused = !state.paused;
    text($('console-pause'), state.paused ? 'Resume' : 'Pause');
  });
  $('console-clear').addEventListener('click', () => {
    $('console').tBodies[0].replaceChildren();
    state.dropped = 0;
    state.received = 0;
  });

  function every(ms, fn) {
    const run = () => fn().catch((error) => text($('node-info'), `error: ${error.message}`)).finally(() => setTimeout(run, ms));
    run();
  }
  every(1000, refreshOverview);
  every(2000, refreshChannels);
  every(2000, () => refreshMembers().catch(showError($('members-summary'))));
})();
