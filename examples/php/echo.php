<?php
// The same room with Laravel Echo (broadcaster "pusher"): Echo.join('room') is presence-room.
declare(strict_types=1);
$title = 'Room (Laravel Echo)';
require __DIR__ . '/header.php';
?>
<script src="<?= htmlspecialchars($config['pusher_js']) ?>"></script>
<script src="<?= htmlspecialchars($config['echo_js']) ?>"></script>
<script src="app.js"></script>
<script>
  const config = <?= json_encode($browserConfig) ?>;
  // The IIFE build exposes the module as window.Echo; the class is its default export.
  const echo = new Echo.default({
    broadcaster: 'pusher',
    key: config.key,
    cluster: 'mt1',
    wsHost: config.wsHost,
    wsPort: config.wsPort,
    forceTLS: false,
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    authEndpoint: 'auth.php',
  });
  echo.connector.pusher.connection.bind('state_change', ({ current }) => demo.state(current));
  echo.join('room')
    .here((users) => {
      users.forEach((user) => demo.member(user.id, user));
      demo.state('joined');
    })
    .joining((user) => demo.member(user.id, user))
    .leaving((user) => demo.memberGone(user.id))
    .error((error) => demo.state(`refused (${error.status})`))
    .listen('.message', (data) => demo.message(data));
</script>
</body>
</html>
