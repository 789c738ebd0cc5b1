<?php
// Signs private and presence subscriptions for the logged-in user. pusher-js (and Laravel Echo)
// POST socket_id and channel_name here; only the application decides who may join what.
declare(strict_types=1);
require __DIR__ . '/lib.php';

$user = sb_current_user();
if ($user === null) {
    sb_json(403, ['error' => 'not logged in']);
    exit;
}
$socketId = (string) ($_POST['socket_id'] ?? '');
$channel = (string) ($_POST['channel_name'] ?? '');
if (!preg_match('/^\d+\.\d+$/', $socketId) || !preg_match('/^[A-Za-z0-9_\-=@,.;]{1,200}$/', $channel)) {
    sb_json(400, ['error' => 'bad socket_id or channel_name']);
    exit;
}

if (str_starts_with($channel, 'presence-')) {
    // Who the member is, as every other member will see it.
    $channelData = json_encode(['user_id' => $user, 'user_info' => ['id' => $user, 'name' => ucfirst($user)]], JSON_THROW_ON_ERROR);
    sb_json(200, ['auth' => sb_auth_presence($socketId, $channel, $channelData), 'channel_data' => $channelData]);
} elseif (str_starts_with($channel, 'private-')) {
    sb_json(200, ['auth' => sb_auth_private($socketId, $channel)]);
} else {
    sb_json(403, ['error' => 'public channels need no authorization']);
}
