<?php

return [
    // "sync" broadcasts while the request (or the artisan command) runs. A real app queues
    // ShouldBroadcast events (database or redis) and runs `php artisan queue:work`.
    'default' => env('QUEUE_CONNECTION', 'sync'),

    'connections' => [
        'sync' => [
            'driver' => 'sync',
        ],
    ],

    'failed' => [
        'driver' => 'null',
    ],
];
