/** The tool's version, taken from package.json when the CLI is bundled (one place to bump). */
import { version } from '../../../package.json';

export const VERSION: string = version;
export const TOOL_NAME = 'django-migration-guard';
export const INFORMATION_URI = 'https://github.com/django-migration-guard/django-migration-guard';
