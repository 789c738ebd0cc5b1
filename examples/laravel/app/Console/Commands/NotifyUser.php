<?php

namespace App\Console\Commands;

use App\Models\User;
use App\Notifications\OrderShipped;
use Illuminate\Console\Command;

class NotifyUser extends Command
{
    protected $signature = 'demo:notify {email} {order}';

    protected $description = 'Send a user a broadcast notification (private-App.Models.User.{id})';

    public function handle(): int
    {
        $user = User::where('email', $this->argument('email'))->firstOrFail();

        $user->notify(new OrderShipped((string) $this->argument('order')));

        $this->info("Notified {$user->name}.");

        return self::SUCCESS;
    }
}
