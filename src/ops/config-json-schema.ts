import { z } from 'zod';
import { ConfigSchema } from './config.js';

/**
 * The JSON Schema of the config file, generated from the zod schema that validates it (so the two
 * cannot drift): editors complete and check a `switchboard.json` that names it in `"$schema"`.
 * Written to schema/switchboard.schema.json by `npm run config-schema`; a test checks the committed copy.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> & { properties?: Record<string, unknown> };
  return {
    ...generated,
    title: 'Switchboard configuration (switchboard.json)',
    description: 'Settings for `switchboard start --config <file>`; environment variables SWITCHBOARD_* and flags override them. See the README, section Configuration.',
    properties: { $schema: { type: 'string', description: 'Where editors find this schema.' }, ...generated.properties },
  };
}
