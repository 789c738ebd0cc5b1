<?php

namespace App\Console\Commands;

use App\Events\Announcement;
use Illuminate\Console\Command;

class Announce extends Command
{
    protected $signature = 'demo:announce {text} {--pad=0 : Append this many bytes, to try the gateway\'s size limit}';

    protected $description = 'Broadcast an announcement to every open page (public channel "announcements")';

    public function handle(): int
    {
        $text = $this->argument('text').str_repeat('.', (int) $this->option('pad'));

        event(new Announcement($text));

        $this->info('Announced.');

        return self::SUCCESS;
    }
}
