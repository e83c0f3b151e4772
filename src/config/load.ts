import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { configSchema, type RampartConfig } from './config.js';

export class ConfigError extends Error {}

/** Reads and validates a `.rampart.yaml`; an invalid file is an error naming the key and what was expected. */
export async function loadConfigFile(file: string): Promise<RampartConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`config file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parse(text) ?? {};
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = configSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = ['$', ...(issue?.path ?? []).map(String)].join('.');
    throw new ConfigError(`config file ${file} ${path}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
}
