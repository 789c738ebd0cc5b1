<?php
// The form's target: publishes the message to the room, over the signed HTTP API or the Redis
// Stream queue (the request then returns as soon as Redis has it).
declare(strict_types=1);
require __DIR__ . '/lib.php';

$user = sb_current_user();
if ($user === null) {
    sb_json(403, ['error' => 'not logged in']);
    exit;
}
$text = trim((string) ($_POST['message'] ?? ''));
$via = (string) ($_POST['via'] ?? 'http');
if ($text === '' || strlen($text) > 2000 || !in_array($via, ['http', 'queue'], true)) {
    sb_json(400, ['error' => 'message must be 1 to 2000 bytes; via is http or queue']);
    exit;
}
$data = json_encode(['user' => $user, 'text' => $text, 'via' => $via], JSON_THROW_ON_ERROR);
try {
    if ($via === 'queue') {
        // A random id makes a retried request harmless: Switchboard publishes one id once.
        $entry = sb_publish_queue(['presence-room'], 'message', $data, bin2hex(random_bytes(8)));
        sb_json(200, ['ok' => true, 'via' => $via, 'entry' => $entry]);
    } else {
        sb_publish_http(['presence-room'], 'message', $data);
        sb_json(200, ['ok' => true, 'via' => $via]);
    }
} catch (RuntimeException $e) {
    error_log('publish failed: ' . $e->getMessage());
    sb_json(502, ['error' => 'could not publish']);
}
