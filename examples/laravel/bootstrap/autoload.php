<?php

// With Composer (`composer install`, or your own Laravel app) its autoloader does everything.
if (is_file(__DIR__.'/../vendor/autoload.php')) {
    require __DIR__.'/../vendor/autoload.php';

    return;
}

// Without Composer: Debian's packages on the include path (php-laravel-framework, php-guzzlehttp-guzzle,
// php-psr-log), the app's own classes, and the pusher/pusher-php-server SDK's src/ directory named by
// PUSHER_PHP_SERVER_SRC (it is not packaged by Debian; the tests point this at an unmodified copy).
require_once 'Illuminate/autoload.php';
require_once 'GuzzleHttp/autoload.php';
require_once 'Psr/Log/autoload.php';

(function (): void {
    $sdk = getenv('PUSHER_PHP_SERVER_SRC');
    if ($sdk === false || ! is_file($sdk.'/Pusher.php')) {
        throw new RuntimeException(
            'The Pusher PHP SDK is missing: run `composer require pusher/pusher-php-server`, '
            .'or set PUSHER_PHP_SERVER_SRC to the src/ directory of pusher/pusher-php-server.'
        );
    }
    $roots = [
        'App\\' => __DIR__.'/../app/',
        'Database\\Seeders\\' => __DIR__.'/../database/seeders/',
        'Pusher\\' => rtrim($sdk, '/').'/',
    ];
    spl_autoload_register(function (string $class) use ($roots): void {
        foreach ($roots as $prefix => $dir) {
            if (strncmp($class, $prefix, strlen($prefix)) === 0) {
                $file = $dir.str_replace('\\', '/', substr($class, strlen($prefix))).'.php';
                if (is_file($file)) {
                    require $file;
                }

                return;
            }
        }
    });
})();
