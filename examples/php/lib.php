<?php
// Shared helpers of the demo: configuration from the environment, signing, publishing over the
// signed HTTP API or the Redis Stream queue, webhook verification. Plain PHP: hash_hmac and curl.
declare(strict_types=1);

function sb_env(string $name, string $default): string
{
    $value = getenv($name);
    return $value === false || $value === '' ? $default : $value;
}

/** Everything the demo needs to know about its Switchboard, from environment variables. */
function sb_config(): array
{
    return [
        'app_id' => sb_env('SWITCHBOARD_APP_ID', 'app-id'),
        'key' => sb_env('SWITCHBOARD_APP_KEY', 'app-key'),
        'secret' => sb_env('SWITCHBOARD_APP_SECRET', 'app-secret'),
        // Where PHP reaches the HTTP API.
        'api_url' => rtrim(sb_env('SWITCHBOARD_API_URL', 'http://127.0.0.1:6001'), '/'),
        // Where browsers reach the WebSocket endpoint.
        'ws_host' => sb_env('SWITCHBOARD_WS_HOST', '127.0.0.1'),
        'ws_port' => (int) sb_env('SWITCHBOARD_WS_PORT', '6001'),
        'redis_host' => sb_env('REDIS_HOST', '127.0.0.1'),
        'redis_port' => (int) sb_env('REDIS_PORT', '6379'),
        'redis_password' => sb_env('REDIS_PASSWORD', ''),
        'stream' => sb_env('SWITCHBOARD_STREAM', 'switchboard:events'),
        'webhook_log' => sb_env('WEBHOOK_LOG', sys_get_temp_dir() . '/switchboard-webhooks.log'),
        // Script URLs; point them at a CDN in production (https://js.pusher.com/8.4.0/pusher.min.js).
        'pusher_js' => sb_env('PUSHER_JS_URL', 'js.php?lib=pusher'),
        'echo_js' => sb_env('ECHO_JS_URL', 'js.php?lib=echo'),
    ];
}

/** The demo's "logged-in user": whoever the session says (index.php?user=alice logs in as alice). */
function sb_current_user(): ?string
{
    if (session_status() !== PHP_SESSION_ACTIVE) {
        if (!is_writable(session_save_path() ?: '/nonexistent')) {
            session_save_path(sys_get_temp_dir());
        }
        session_start();
    }
    $user = $_SESSION['user'] ?? null;
    return is_string($user) && $user !== '' ? $user : null;
}

function sb_login(string $user): void
{
    sb_current_user();
    $_SESSION['user'] = $user;
}

/** `auth` for a private channel: key:hex(HMAC-SHA256(secret, "socket_id:channel")). */
function sb_auth_private(string $socketId, string $channel): string
{
    $c = sb_config();
    return $c['key'] . ':' . hash_hmac('sha256', "$socketId:$channel", $c['secret']);
}

/** `auth` for a presence channel also signs the member's channel_data. */
function sb_auth_presence(string $socketId, string $channel, string $channelData): string
{
    $c = sb_config();
    return $c['key'] . ':' . hash_hmac('sha256', "$socketId:$channel:$channelData", $c['secret']);
}

/**
 * Publishes one event over the signed HTTP API (POST /apps/{id}/events, Pusher request signing).
 * Throws RuntimeException unless Switchboard answers 200.
 */
function sb_publish_http(array $channels, string $event, string $data, ?string $socketId = null): void
{
    $c = sb_config();
    $payload = ['name' => $event, 'channels' => $channels, 'data' => $data];
    if ($socketId !== null) {
        $payload['socket_id'] = $socketId;
    }
    $body = json_encode($payload, JSON_THROW_ON_ERROR);
    $path = '/apps/' . rawurlencode($c['app_id']) . '/events';
    $params = [
        'auth_key' => $c['key'],
        'auth_timestamp' => (string) time(),
        'auth_version' => '1.0',
        'body_md5' => md5($body),
    ];
    ksort($params);
    $toSign = "POST\n$path\n" . urldecode(http_build_query($params));
    $params['auth_signature'] = hash_hmac('sha256', $toSign, $c['secret']);

    $curl = curl_init($c['api_url'] . $path . '?' . http_build_query($params));
    curl_setopt_array($curl, [
        CURLOPT_POST => true,
        CURLOPT_POSTFIELDS => $body,
        CURLOPT_HTTPHEADER => ['Content-Type: application/json'],
        CURLOPT_RETURNTRANSFER => true,
        CURLOPT_CONNECTTIMEOUT => 2,
        CURLOPT_TIMEOUT => 5,
    ]);
    $answer = curl_exec($curl);
    $status = curl_getinfo($curl, CURLINFO_RESPONSE_CODE);
    $error = curl_error($curl);
    curl_close($curl);
    if ($answer === false) {
        throw new RuntimeException("Switchboard unreachable: $error");
    }
    if ($status !== 200) {
        throw new RuntimeException("Switchboard answered $status: $answer");
    }
}

/**
 * Publishes one event through the Redis Stream queue: the request returns as soon as Redis has the
 * entry. `$id` makes a retry safe: Switchboard publishes one id once within its window.
 * Uses phpredis when installed, else speaks RESP over a socket. Returns the entry id.
 */
function sb_publish_queue(array $channels, string $event, string $data, ?string $id = null): string
{
    $c = sb_config();
    $fields = [
        'app' => $c['app_id'],
        'body' => json_encode(['name' => $event, 'channels' => $channels, 'data' => $data], JSON_THROW_ON_ERROR),
    ];
    if ($id !== null) {
        $fields['id'] = $id;
    }
    if (class_exists('Redis')) {
        $redis = new Redis();
        $redis->connect($c['redis_host'], $c['redis_port'], 2.0);
        if ($c['redis_password'] !== '') {
            $redis->auth($c['redis_password']);
        }
        return (string) $redis->xAdd($c['stream'], '*', $fields);
    }
    $args = ['XADD', $c['stream'], '*'];
    foreach ($fields as $name => $value) {
        array_push($args, $name, $value);
    }
    return (string) sb_redis_command($args);
}

/** One Redis command over RESP, for hosts without phpredis. Handles the replies XADD and AUTH give. */
function sb_redis_command(array $args): ?string
{
    $c = sb_config();
    $socket = @stream_socket_client("tcp://{$c['redis_host']}:{$c['redis_port']}", $errno, $errstr, 2.0);
    if ($socket === false) {
        throw new RuntimeException("Redis unreachable: $errstr");
    }
    stream_set_timeout($socket, 2);
    try {
        $commands = $c['redis_password'] !== '' ? [['AUTH', $c['redis_password']], $args] : [$args];
        $reply = null;
        foreach ($commands as $command) {
            $out = '*' . count($command) . "\r\n";
            foreach ($command as $arg) {
                $out .= '$' . strlen((string) $arg) . "\r\n" . $arg . "\r\n";
            }
            fwrite($socket, $out);
            $line = fgets($socket);
            if ($line === false) {
                throw new RuntimeException('Redis closed the connection');
            }
            $kind = $line[0];
            $rest = rtrim(substr($line, 1), "\r\n");
            if ($kind === '-') {
                throw new RuntimeException("Redis error: $rest");
            }
            if ($kind === '$') {
                $length = (int) $rest;
                $reply = $length < 0 ? null : substr((string) stream_get_contents($socket, $length + 2), 0, $length);
            } else {
                $reply = $rest; // +OK or :integer
            }
        }
        return $reply;
    } finally {
        fclose($socket);
    }
}

/** True when a webhook request carries this app's key and a valid signature of its raw body. */
function sb_webhook_valid(string $rawBody, string $key, string $signature): bool
{
    $c = sb_config();
    return hash_equals($c['key'], $key) && hash_equals(hash_hmac('sha256', $rawBody, $c['secret']), $signature);
}

function sb_json(int $status, array $body): void
{
    http_response_code($status);
    header('Content-Type: application/json');
    echo json_encode($body);
}
