/** Our software version (package.json), reported by `--version` and I2PControl. */
import { readFileSync } from 'node:fs';

export const GARLICGATE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
