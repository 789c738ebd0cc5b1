<?php
// Demo convenience: serves the browser builds of pusher-js and Laravel Echo from the repository's
// node_modules. In production load them from a CDN or your bundle (set PUSHER_JS_URL / ECHO_JS_URL).
declare(strict_types=1);

$libraries = [
    'pusher' => 'pusher-js/dist/web/pusher.min.js',
    'echo' => 'laravel-echo/dist/echo.iife.js',
];
$lib = (string) ($_GET['lib'] ?? '');
$root = getenv('NODE_MODULES_DIR') ?: __DIR__ . '/../../node_modules';
$path = isset($libraries[$lib]) ? $root . '/' . $libraries[$lib] : null;
if ($path === null || !is_file($path)) {
    http_response_code(404);
    exit;
}
header('Content-Type: application/javascript');
header('Cache-Control: max-age=3600');
readfile($path);
