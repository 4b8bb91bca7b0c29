import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/**
 * Where downloaded rules live unless the user says otherwise: `$LIANFANG_RULES`, else the
 * per-user data folder — `$XDG_DATA_HOME/lianfang/rules` (default `~/.local/share/…`) on
 * Unix and macOS, `%LOCALAPPDATA%\lianfang\rules` on Windows. The parameters exist for tests.
 */
export function defaultRulesDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const override = env['LIANFANG_RULES'];
  if (override) return resolve(override);
  if (platform === 'win32') return join(env['LOCALAPPDATA'] || join(home, 'AppData', 'Local'), 'lianfang', 'rules');
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env['XDG_DATA_HOME'];
  const data = xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share');
  return join(data, 'lianfang', 'rules');
}
