/**
 * The server's environment, and which stored keys go to it by request. Keys from secret storage never go into
 * the environment: profiles often share a variable (the default AZURE_OPENAI_API_KEY), and a key put there for
 * one profile would be borrowed by every other profile reading it. Each stored key is handed to the running
 * server for exactly its profile with chatls/setApiKey; a profile without a stored key reads its own
 * `apiKeyEnv` from the environment VS Code was started with, as in a terminal.
 */

import { apiKeyEnvName, type ProfileSetting, usesApiKey } from "./settings";

export interface ServerEnv {
  /** Full environment for the server process. */
  env: Record<string, string>;
  /** Human-readable lines for the log; they name variables and profiles, never values. */
  described: string[];
  /** Profiles whose stored key goes to the server with chatls/setApiKey, in order. */
  viaRequest: string[];
}

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
  for (const profile of profiles) {
    if (!usesApiKey(profile)) {
      continue;
    }
    if (keys.get(profile.name)) {
      viaRequest.push(profile.name);
      described.push(`profile '${profile.name}': API key from secret storage, sent with chatls/setApiKey`);
      continue;
    }
    const variable = apiKeyEnvName(profile);
    described.push(`profile '${profile.name}': no stored key; the server reads $${variable} (${env[variable] ? "set" : "not set"})`);
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
