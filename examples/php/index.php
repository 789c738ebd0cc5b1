<?php
// The room with pusher-js: joins presence-room (authorized by auth.php) and shows members and messages.
declare(strict_types=1);
$title = 'Room (pusher-js)';
require __DIR__ . '/header.php';
?>
<script src="<?= htmlspecialchars($config['pusher_js']) ?>"></script>
<script src="app.js"></script>
<script>
  const config = <?= json_encode($browserConfig) ?>;
  const pusher = new Pusher(config.key, {
    cluster: 'mt1', // required by pusher-js, unused by Switchboard
    wsHost: config.wsHost,
    wsPort: config.wsPort,
    forceTLS: false,
    enabledTransports: ['ws', 'wss'],
    disableStats: true,
    channelAuthorization: { endpoint: 'auth.php', transport: 'ajax' },
  });
  pusher.connection.bind('state_change', ({ current }) => demo.state(current));
  const room = pusher.subscribe('presence-room');
  room.bind('pusher:subscription_succeeded', (members) => {
    members.each((member) => demo.member(member.id, member.info));
    demo.state('joined');
  });
  room.bind('pusher:subscription_error', (error) => demo.state(`refused (${error.status})`));
  room.bind('pusher:member_added', (member) => demo.member(member.id, member.info));
  room.bind('pusher:member_removed', (member) => demo.memberGone(member.id));
  room.bind('message', (data) => demo.message(data));
</script>
</body>
</html>
