<?php
// The top of both pages: log in through ?user=name (a stand-in for your real login), or ask for a name.
declare(strict_types=1);
require __DIR__ . '/lib.php';

if (isset($_GET['user']) && preg_match('/^[A-Za-z0-9_-]{1,32}$/', (string) $_GET['user'])) {
    sb_login((string) $_GET['user']);
}
$user = sb_current_user();
$config = sb_config();
// What the browser needs: the public key and where the WebSocket endpoint is. Never the secret.
$browserConfig = ['key' => $config['key'], 'wsHost' => $config['ws_host'], 'wsPort' => $config['ws_port']];
?><!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title><?= htmlspecialchars($title) ?> · Switchboard PHP demo</title></head>
<body>
<h1><?= htmlspecialchars($title) ?></h1>
<?php if ($user === null): ?>
<form method="get"><label>Your name <input name="user" pattern="[A-Za-z0-9_\-]{1,32}" required></label> <button>Log in</button></form>
</body></html>
<?php exit; endif ?>
<p>Logged in as <b id="me"><?= htmlspecialchars($user) ?></b> · <span id="state">connecting…</span> ·
  <a href="index.php">pusher-js page</a> · <a href="echo.php">Laravel Echo page</a></p>
<h2>Members</h2>
<ul id="members"></ul>
<form id="say" method="post" action="publish.php">
  <input name="message" required maxlength="500" autocomplete="off" aria-label="message">
  <select name="via" aria-label="via">
    <option value="http">signed HTTP API</option>
    <option value="queue">Redis Stream queue</option>
  </select>
  <button>Send</button>
</form>
<h2>Messages</h2>
<ul id="messages"></ul>
