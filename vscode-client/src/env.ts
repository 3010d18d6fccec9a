/** The server's environment: API keys from secret storage go in here, and never into a log line. */

import { apiKeyEnvName, type ProfileSetting, usesApiKey } from "./settings";

export interface ServerEnv {
  /** Full environment for the server process. */
  env: Record<string, string>;
  /** Human-readable lines for the log; they name variables and profiles, never values. */
  described: string[];
  /** Profiles whose key cannot travel by environment (variable shared with a different key): use chatls/setApiKey. */
  viaRequest: string[];
}

/**
 * Put each profile's stored key into the variable named by its `apiKeyEnv`. A stored key wins over the
 * inherited environment. When two profiles name the same variable with different keys, the first one
 * gets the variable and the others are listed in `viaRequest`.
 */
export function buildServerEnv(
  base: Readonly<Record<string, string | undefined>>,
  profiles: readonly ProfileSetting[],
  keys: ReadonlyMap<string, string>,
): ServerEnv {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined) {
      env[name] = value;
    }
  }
  const described: string[] = [];
  const viaRequest: string[] = [];
  const assigned = new Map<string, string>(); // variable -> key value we put there
  for (const profile of profiles) {
    const key = keys.get(profile.name);
    if (!key || !usesApiKey(profile)) {
      continue;
    }
    const variable = apiKeyEnvName(profile);
    const previous = assigned.get(variable);
    if (previous !== undefined && previous !== key) {
      viaRequest.push(profile.name);
      described.push(`profile '${profile.name}': API key from secret storage, sent with chatls/setApiKey (${variable} already used)`);
      continue;
    }
    assigned.set(variable, key);
    env[variable] = key;
    described.push(`profile '${profile.name}': API key from secret storage in $${variable}`);
  }
  return { env, described, viaRequest };
}

/** Replace every occurrence of a secret in `text` (for any text that might reach a log). */
export function redact(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length >= 4) {
      result = result.split(secret).join("***");
    }
  }
  return result;
}
