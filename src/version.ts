/** tend's version (kept in step with package.json by the release script and a unit test). */
export const VERSION = '0.1.0';
