<?php

namespace App\Events;

use Illuminate\Broadcasting\Channel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcast;

/** To everyone: a public channel. Echo: `Echo.channel('announcements').listen('Announcement', …)`. */
class Announcement implements ShouldBroadcast
{
    public function __construct(public string $text)
    {
    }

    public function broadcastOn(): Channel
    {
        return new Channel('announcements');
    }
}
