<?php

namespace App\Providers;

use Illuminate\Support\Facades\Broadcast;
use Illuminate\Support\ServiceProvider;

class BroadcastServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        // POST /broadcasting/auth, behind the "web" middleware: the session says who is asking.
        Broadcast::routes();

        require base_path('routes/channels.php');
    }
}
