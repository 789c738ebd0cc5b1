<?php

$app = new Illuminate\Foundation\Application(
    $_ENV['APP_BASE_PATH'] ?? dirname(__DIR__)
);

// Laravel 10+ reads LARAVEL_STORAGE_PATH by itself; Laravel 8 (Debian's) is told here. The tests keep
// sessions, compiled views and logs in a temporary directory this way.
if (($storage = getenv('LARAVEL_STORAGE_PATH')) !== false && $storage !== '') {
    $app->useStoragePath($storage);
}

$app->singleton(Illuminate\Contracts\Http\Kernel::class, App\Http\Kernel::class);
$app->singleton(Illuminate\Contracts\Console\Kernel::class, App\Console\Kernel::class);
$app->singleton(Illuminate\Contracts\Debug\ExceptionHandler::class, App\Exceptions\Handler::class);

return $app;
