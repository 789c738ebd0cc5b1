import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../cluster/redis-server.js';
import type { TestMariaDB } from '../../helpers/mariadb.js';
import { ServerProcess } from '../../helpers/server-process.js';

const run = promisify(execFile);

/** Debian's `wordpress` package and the theme it recommends (`wordpress-theme-twentytwentythree`). */
export const WORDPRESS = '/usr/share/wordpress';
export const THEME = join(WORDPRESS, 'wp-content/themes/twentytwentythree');
const FIXTURES = resolve('test/e2e/wordpress');

export const ADMIN = { login: 'admin', password: 'switchboard-test-admin' } as const;

export interface WordPressSite {
  readonly url: string;
  readonly root: string;
  /** `php -S` with the router: its output() is the access log. */
  readonly server: ServerProcess;
  /** Runs PHP inside the site's WordPress (as `wp eval` would); resolves with what it printed. */
  php(code: string): Promise<string>;
  /** PHP's error log so far, of the server and of `php()` alike: warnings, notices, error_log() lines. */
  errors(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A fresh WordPress from Debian's package, installed through its own wp_install() on a database of the
 * given server and served by `php -S`. The site is a private tree in a temporary directory: symlinks into
 * /usr/share/wordpress, the test's wp-config.php, and a wp-content of its own (plugins start empty); nothing
 * of the machine's WordPress configuration (/etc/wordpress) is read or changed.
 */
export async function startWordPress(db: TestMariaDB): Promise<WordPressSite> {
  const scratch = await mkdtemp(join(tmpdir(), 'sb-wordpress-'));
  const root = join(scratch, 'site');
  await mkdir(root);
  await mkdir(join(scratch, 'opcache'));
  for (const entry of await readdir(WORDPRESS)) {
    if (entry !== 'wp-config.php' && entry !== 'wp-content') await symlink(join(WORDPRESS, entry), join(root, entry));
  }
  await symlink(join(FIXTURES, 'wp-config.php'), join(root, 'wp-config.php'));
  for (const dir of ['plugins', 'themes', 'uploads']) await mkdir(join(root, 'wp-content', dir), { recursive: true });
  await symlink(THEME, join(root, 'wp-content/themes/twentytwentythree'));

  await db.sql('CREATE DATABASE wordpress');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { WP_ROOT: root, WP_URL: url, WP_DB_NAME: 'wordpress', WP_DB_USER: 'wordpress', WP_DB_PASSWORD: 'unchecked', WP_DB_HOST: `127.0.0.1:${db.port}` };

  const errorLog = join(scratch, 'php-errors.log');
  const logging = ['-d', 'log_errors=1', '-d', `error_log=${errorLog}`];
  const php = async (code: string, args: readonly string[] = []): Promise<string> => {
    // Compiled WordPress kept on disk between these short-lived processes.
    const opcache = ['-d', 'opcache.enable_cli=1', '-d', `opcache.file_cache=${join(scratch, 'opcache')}`, '-d', 'opcache.file_cache_only=1'];
    const result = await run('php', [...logging, ...opcache, join(FIXTURES, 'wp-php.php'), ...args, code], { env: { ...process.env, ...env } });
    return result.stdout;
  };
  await php(
    `function wp_new_blog_notification() {} // no mail on this machine
     require_once ABSPATH . 'wp-admin/includes/upgrade.php';
     wp_install('Switchboard Live test', '${ADMIN.login}', 'admin@example.com', true, '', '${ADMIN.password}');
     update_option('show_avatars', 0); // no gravatar.com from the browsers`,
    ['--install'],
  );
  // opcache: WordPress compiles a few MB of PHP per request without it. Four workers: a page, its
  // pusher-js auth request and another person's requests at once.
  const server = new ServerProcess('php', [...logging, '-d', 'opcache.enable_cli=1', '-d', 'upload_max_filesize=8M', '-S', `127.0.0.1:${port}`, '-t', root, join(FIXTURES, 'router.php')], {
    env: { ...process.env, ...env, PHP_CLI_SERVER_WORKERS: '4' },
  });
  try {
    await server.answering(`${url}/wp-login.php`);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url,
    root,
    server,
    php: (code) => php(code),
    errors: () => readFile(errorLog, 'utf8').catch(() => ''),
    stop: async () => {
      await server.stop();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}

/** What the tests need installed, with the Debian package that brings each (.ci/run installs them). */
export function missingPrerequisites(): string[] {
  const needs: Array<[string, string]> = [
    [join(WORDPRESS, 'wp-load.php'), 'wordpress'],
    [THEME, 'wordpress-theme-twentytwentythree'],
    ['/usr/sbin/mariadbd', 'mariadb-server'],
    ['/usr/bin/php', 'php-cli'],
    ['/usr/bin/chromium', 'chromium'],
  ];
  return needs.filter(([path]) => !existsSync(path)).map(([path, pkg]) => `${path} (${pkg})`);
}
