<?php

namespace App\Events;

use App\Models\User;
use Illuminate\Broadcasting\InteractsWithSockets;
use Illuminate\Broadcasting\PresenceChannel;
use Illuminate\Contracts\Broadcasting\ShouldBroadcast;
use Illuminate\Queue\SerializesModels;

/**
 * A chat message in a room (a presence channel). Sent with `broadcast(...)->toOthers()`: Laravel passes
 * the sender's X-Socket-ID to the gateway, which leaves that socket out.
 */
class MessagePosted implements ShouldBroadcast
{
    use InteractsWithSockets;
    use SerializesModels;

    public function __construct(public User $user, public string $room, public string $text)
    {
    }

    public function broadcastOn(): PresenceChannel
    {
        return new PresenceChannel("room.{$this->room}");
    }

    /** @return array<string, mixed> */
    public function broadcastWith(): array
    {
        return ['user' => ['id' => $this->user->id, 'name' => $this->user->name], 'text' => $this->text];
    }
}
