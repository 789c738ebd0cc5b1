<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="csrf-token" content="{{ csrf_token() }}">
  <title>Room · Switchboard × Laravel</title>
</head>
<body>
  <p>Signed in as <strong id="me">{{ $user->name }}</strong>.
    <form method="post" action="/logout" style="display:inline">@csrf<button>Sign out</button></form></p>
  <p>Connection: <span id="state">connecting</span></p>

  <h2>In the room</h2>
  <ul id="members"></ul>
  <p id="typing"></p>

  <form id="say">
    <input name="text" autocomplete="off" placeholder="Say something to the others">
    <button>Send</button>
  </form>

  <h2>Messages</h2>
  <ul id="messages"></ul>
  <h2>Announcements</h2>
  <ul id="announcements"></ul>
  <h2>Notifications</h2>
  <ul id="notifications"></ul>
  <h2>Log</h2>
  <ul id="log"></ul>

  <script src="/js/pusher.js"></script>
  <script src="/js/echo.js"></script>
  <script>
    const config = @json($echo);
    const me = @json(['id' => $user->id, 'name' => $user->name]);
    const room = @json($room);
    const csrf = document.querySelector('meta[name="csrf-token"]').content;

    const add = (list, text, attrs = {}) => {
      const li = document.createElement('li');
      li.textContent = text;
      for (const [k, v] of Object.entries(attrs)) li.dataset[k] = v;
      document.getElementById(list).append(li);
      return li;
    };
    const log = (text) => add('log', text);

    // The IIFE build of laravel-echo exposes the module as window.Echo; the class is its default export.
    // In a Vite app: import Echo from 'laravel-echo'; import Pusher from 'pusher-js'; window.Pusher = Pusher;
    const echo = new Echo.default({
      broadcaster: 'pusher',
      key: config.key,
      cluster: 'mt1',              // required by pusher-js, unused by Switchboard
      wsHost: config.host,
      wsPort: config.port,
      wssPort: config.port,
      forceTLS: config.scheme === 'https',
      enabledTransports: ['ws', 'wss'],
    });
    window.echo = echo;
    echo.connector.pusher.connection.bind('state_change', ({ current }) => {
      if (current !== 'connected') document.getElementById('state').textContent = current;
    });

    // "ready" once all three subscriptions are in place.
    let pending = 3;
    const subscribed = (name) => () => {
      log(`subscribed to ${name}`);
      if (--pending === 0) document.getElementById('state').textContent = 'ready';
    };

    // Public: an artisan command broadcasts App\Events\Announcement.
    echo.channel('announcements')
      .subscribed(subscribed('announcements'))
      .listen('Announcement', (e) => add('announcements', e.text));

    // Private, the user's own: broadcast notifications (App\Notifications\OrderShipped).
    echo.private(`App.Models.User.${me.id}`)
      .subscribed(subscribed('own channel'))
      .notification((n) => add('notifications', n.text, { type: n.type }));

    // Presence: who is here, with the user info routes/channels.php returns; messages; whispers.
    const members = new Map();
    const showMembers = () => {
      const list = document.getElementById('members');
      list.replaceChildren(...[...members.values()].map((u) => Object.assign(document.createElement('li'), { textContent: u.name })));
    };
    const chat = echo.join(`room.${room}`)
      .here((users) => {
        users.forEach((u) => members.set(u.id, u));
        showMembers();
        subscribed('room')();
      })
      .joining((u) => { members.set(u.id, u); showMembers(); log(`${u.name} joined`); })
      .leaving((u) => { members.delete(u.id); showMembers(); log(`${u.name} left`); })
      .listen('MessagePosted', (e) => add('messages', `${e.user.name}: ${e.text}`))
      // Client events ("whispers") go browser to browser through the gateway; Laravel never sees them.
      .listenForWhisper('typing', (e) => {
        document.getElementById('typing').textContent = `${e.name} is typing…`;
        log(`whisper from ${e.name}`);
      });

    const input = document.querySelector('#say input');
    input.addEventListener('input', () => chat.whisper('typing', { name: me.name }));

    document.getElementById('say').addEventListener('submit', async (event) => {
      event.preventDefault();
      const text = input.value;
      input.value = '';
      const res = await fetch(`/rooms/${room}/messages`, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json',
          'X-CSRF-TOKEN': csrf,
          // toOthers(): the gateway leaves this socket out. Echo adds the header to axios, jQuery,
          // Vue and Turbo requests by itself; with fetch it is this one line.
          'X-Socket-ID': echo.socketId(),
        },
        body: JSON.stringify({ text }),
      });
      log(res.ok ? `sent: ${text}` : `send failed (${res.status})`);
    });

    // For trying the authorization from the console: demo.trySubscribe('App.Models.User.2')
    window.demo = {
      me,
      trySubscribe: (name) => new Promise((resolve) => {
        echo.private(name)
          .subscribed(() => resolve('subscribed'))
          .error((e) => resolve(`refused (${e.status})`));
      }),
    };
  </script>
</body>
</html>
