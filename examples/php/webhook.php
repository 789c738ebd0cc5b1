<?php
// Receives Switchboard's webhooks: checks X-Pusher-Key and X-Pusher-Signature (HMAC-SHA256 of the
// raw body with the app secret), then records each event, one JSON line per request.
// GET shows what was recorded.
declare(strict_types=1);
require __DIR__ . '/lib.php';

$log = sb_config()['webhook_log'];
if ($_SERVER['REQUEST_METHOD'] === 'GET') {
    $lines = is_file($log) ? file($log, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) : [];
    sb_json(200, ['requests' => array_map(fn ($l) => json_decode($l, true), $lines)]);
    exit;
}
$raw = (string) file_get_contents('php://input');
$key = (string) ($_SERVER['HTTP_X_PUSHER_KEY'] ?? '');
$signature = (string) ($_SERVER['HTTP_X_PUSHER_SIGNATURE'] ?? '');
if (!sb_webhook_valid($raw, $key, $signature)) {
    sb_json(401, ['error' => 'invalid signature']);
    exit;
}
$payload = json_decode($raw, true);
if (!is_array($payload) || !is_array($payload['events'] ?? null)) {
    sb_json(400, ['error' => 'body must be {time_ms, events}']);
    exit;
}
// Keep the raw body and signature so the record can be checked again later.
$record = ['received_at' => time(), 'signature' => $signature, 'body' => $raw, 'events' => $payload['events']];
file_put_contents($log, json_encode($record) . "\n", FILE_APPEND | LOCK_EX);
// Answer fast: Switchboard retries anything but a 2xx.
sb_json(200, ['ok' => true]);
